"""Content-Range of upload chunks (`<start>-<end>`, inclusive) and the `Range` we answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.oci.errors import OCIError

_RANGE = re.compile(r"^(?:bytes[ =])?([0-9]{1,19})-([0-9]{1,19})(?:/(?:[0-9]{1,19}|\*))?$")


@dataclass(frozen=True, slots=True)
class ChunkRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_content_range(value: str) -> ChunkRange:
    """Parse a chunk's Content-Range. The spec's form is `^[0-9]+-[0-9]+$`; the
    `bytes a-b/total` form of RFC 9110 is accepted too because some clients send it."""
    match = _RANGE.match(value.strip())
    if not match:
        raise OCIError(
            "BLOB_UPLOAD_INVALID",
            f"Content-Range {value[:100]!r} is not of the form <start>-<end>",
            status=416,
        )
    start, end = int(match.group(1)), int(match.group(2))
    if end < start:
        raise OCIError(
            "BLOB_UPLOAD_INVALID",
            f"Content-Range {value[:100]!r} ends before it starts",
            status=416,
        )
    return ChunkRange(start, end)


def range_header(size: int) -> str:
    """The upload status `Range` header for `size` bytes received: `0-<last byte>`.

    With nothing received the CNCF registry answers `0-0`, which clients understand as
    "start at 0"; we do the same."""
    return f"0-{max(size - 1, 0)}"
