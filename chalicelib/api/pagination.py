"""`n`/`last` query parameters and the RFC 5988 `Link` header of paginated lists."""

from __future__ import annotations

from urllib.parse import urlencode

from chalicelib.oci.errors import OCIError


def page_size(value: str | None, *, default: int, maximum: int) -> int:
    """The number of entries asked for; larger requests get `maximum` and a Link header."""
    if value is None or value == "":
        return default
    # ASCII digits only: str.isdigit() also admits superscripts (int() then raises: a 500)
    # and other scripts' digits.
    if not (value.isascii() and value.isdigit()):
        raise OCIError("UNSUPPORTED", f"n={value[:40]!r} is not a non-negative integer", status=400)
    return min(int(value), maximum)


def next_link(path: str, **params: str | int) -> dict[str, str]:
    return {"Link": f'<{path}?{urlencode(params)}>; rel="next"'}
