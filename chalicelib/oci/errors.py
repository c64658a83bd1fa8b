"""The OCI distribution error codes, each bound to its HTTP status.

Handlers raise `OCIError`; the HTTP layer turns it into the spec's JSON body. Keeping the
status beside the code means a code can never be sent with the wrong status.
"""

from __future__ import annotations

from typing import Any

# code -> (status, default message)
CODES: dict[str, tuple[int, str]] = {
    "BLOB_UNKNOWN": (404, "blob unknown to registry"),
    "BLOB_UPLOAD_INVALID": (400, "blob upload invalid"),
    "BLOB_UPLOAD_UNKNOWN": (404, "blob upload unknown to registry"),
    "DIGEST_INVALID": (400, "provided digest did not match uploaded content"),
    "MANIFEST_BLOB_UNKNOWN": (400, "manifest references a manifest or blob unknown to registry"),
    "MANIFEST_INVALID": (400, "manifest invalid"),
    "MANIFEST_UNKNOWN": (404, "manifest unknown to registry"),
    "NAME_INVALID": (400, "invalid repository name"),
    "NAME_UNKNOWN": (404, "repository name not known to registry"),
    "SIZE_INVALID": (400, "provided length did not match content length"),
    "UNAUTHORIZED": (401, "authentication required"),
    "DENIED": (403, "requested access to the resource is denied"),
    "UNSUPPORTED": (405, "the operation is unsupported"),
    "TOOMANYREQUESTS": (429, "too many requests"),
    # Not in the spec's table, used by the CNCF registry for a failing backend; clients retry 503.
    "UNAVAILABLE": (503, "the registry's storage is unavailable, retry the request"),
}


class OCIError(Exception):
    """An error the client is told about, in the spec's `{"errors": [...]}` form."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        detail: Any = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        also: list[dict[str, Any]] | None = None,
    ) -> None:
        default_status, default_message = CODES[code]
        self.code = code
        self.message = message or default_message
        self.detail = detail
        self.status = status or default_status
        self.headers = headers or {}
        self.also = also or []  # further entries for the `errors` array
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        return {"errors": [error, *self.also]}


class RangeNotSatisfiable(OCIError):
    """416 for an out-of-order chunk; carries the session's valid range so clients can resume."""

    def __init__(self, message: str, *, location: str, offset: int) -> None:
        headers = {"Location": location, "Range": f"0-{offset - 1}" if offset else "0-0"}
        super().__init__("BLOB_UPLOAD_INVALID", message, status=416, headers=headers)
