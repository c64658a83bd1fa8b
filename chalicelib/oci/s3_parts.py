"""Pure rules of direct-to-S3 uploads: how a blob is split into S3 parts, and the SHA-256
checksum S3 is given (the OCI digest's bytes, base64 instead of hex).

S3's limits (AWS documentation): one PUT carries at most 5 GiB; a multipart upload has at
most 10,000 parts, each of 5 MiB to 5 GiB except the last, which may be smaller; an object
is at most 5 TiB.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB
SINGLE_PUT_MAX = 5 * GiB
PART_MIN = 5 * MiB
PART_MAX = 5 * GiB
PARTS_MAX = 10_000
OBJECT_MAX = 5 * 1024 * GiB
# Large enough that a 5 GiB blob is 80 requests, small enough that a lost part costs little
# and a client holds nothing big (it streams each part from disk).
PREFERRED_PART = 64 * MiB


class PlanError(ValueError):
    """The size cannot be stored as one S3 object."""


@dataclass(frozen=True, slots=True)
class PartPlan:
    """How a blob of `size` bytes travels: one PUT (`part_size == size`, `count == 1`,
    `multipart` False) or `count` parts of `part_size` bytes, the last one smaller."""

    size: int
    part_size: int
    count: int
    multipart: bool

    def part_range(self, number: int) -> tuple[int, int]:
        """The (offset, length) of part `number` (1-based)."""
        if not 1 <= number <= self.count:
            raise PlanError(f"part {number} is not between 1 and {self.count}")
        start = (number - 1) * self.part_size
        return start, min(self.part_size, self.size - start)


def plan_parts(
    size: int, *, single_put_max: int = SINGLE_PUT_MAX, preferred: int = PREFERRED_PART
) -> PartPlan:
    """One PUT up to `single_put_max` bytes (at most S3's 5 GiB), else parts of `preferred`
    bytes, grown (to whole MiB) until 10,000 parts are enough."""
    if size < 0:
        raise PlanError("a size cannot be negative")
    if size > OBJECT_MAX:
        raise PlanError(f"{size} bytes is more than S3's largest object (5 TiB)")
    if size <= min(single_put_max, SINGLE_PUT_MAX):
        return PartPlan(size, size, 1, False)
    part = max(PART_MIN, min(preferred, PART_MAX))
    needed = -(-size // PARTS_MAX)
    if needed > part:
        part = -(-needed // MiB) * MiB
    return PartPlan(size, part, -(-size // part), True)


def checksum_of(hex_digest: str) -> str:
    """The `x-amz-checksum-sha256` value for a SHA-256 given in hex."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def composite_of(part_checksums: list[str]) -> str:
    """The checksum S3 gives a multipart object assembled from parts with these SHA-256
    checksums (base64): the SHA-256 of the parts' raw checksums, then `-<count>`."""
    from hashlib import sha256

    raw = b"".join(base64.b64decode(checksum, validate=True) for checksum in part_checksums)
    return f"{base64.b64encode(sha256(raw).digest()).decode()}-{len(part_checksums)}"


def matches_composite(stored: str, part_checksums: list[str]) -> bool:
    """Whether `stored`, a multipart object's checksum as S3 reports it, is the one these
    part checksums give: it ties the checksums a client lists to the bytes S3 received.
    (S3 appends `-<count>`; some stand-ins, such as moto, leave it off.)"""
    expected = composite_of(part_checksums)
    return stored in (expected, expected.rpartition("-")[0])


def hex_of(checksum: str) -> str | None:
    """The hex SHA-256 of an `x-amz-checksum-sha256` value; None if it is not one (a
    multipart object's composite checksum, `<base64>-<parts>`, is not)."""
    try:
        raw = base64.b64decode(checksum, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None
