"""What S3 said when it refused a call, read one way: botocore hides the code and status in
a nested dict that every caller would otherwise walk by hand (and differently)."""

from __future__ import annotations

from typing import Any

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})  # HEAD says 404, GET says NoSuchKey


def _response(error: BaseException) -> dict[str, Any]:
    response = getattr(error, "response", None)
    return response if isinstance(response, dict) else {}


def error_code(error: BaseException) -> str:
    """S3's error code (`NoSuchKey`, `PreconditionFailed`, ...), or "" for other errors."""
    return str(_response(error).get("Error", {}).get("Code", ""))


def http_status(error: BaseException) -> int | None:
    status = _response(error).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def is_missing(error: BaseException) -> bool:
    """The object (or key) asked for is not there."""
    return error_code(error) in MISSING
