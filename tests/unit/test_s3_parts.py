"""Part planning and checksum encoding of direct-to-S3 uploads (chalicelib/oci/s3_parts.py),
against S3's documented limits."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.oci.s3_parts import (
    OBJECT_MAX,
    PART_MAX,
    PART_MIN,
    PARTS_MAX,
    SINGLE_PUT_MAX,
    PlanError,
    checksum_of,
    composite_of,
    hex_of,
    matches_composite,
    plan_parts,
)

MiB = 1024 * 1024
sizes = st.integers(min_value=0, max_value=OBJECT_MAX)


@given(
    size=sizes,
    single=st.integers(min_value=0, max_value=2 * SINGLE_PUT_MAX),
    preferred=st.integers(min_value=0, max_value=2 * PART_MAX),
)
def test_every_plan_is_one_s3_accepts(size: int, single: int, preferred: int) -> None:
    plan = plan_parts(size, single_put_max=single, preferred=preferred)
    assert plan.size == size
    if not plan.multipart:
        assert plan.count == 1 and plan.part_size == size
        assert size <= min(single, SINGLE_PUT_MAX)
        return
    assert size > min(single, SINGLE_PUT_MAX)
    assert PART_MIN <= plan.part_size <= PART_MAX
    assert 1 <= plan.count <= PARTS_MAX
    ranges = [plan.part_range(n) for n in range(1, plan.count + 1)]
    assert sum(length for _, length in ranges) == size
    assert all(length == plan.part_size for _, length in ranges[:-1])
    assert 0 < ranges[-1][1] <= plan.part_size
    assert [start for start, _ in ranges] == [n * plan.part_size for n in range(plan.count)]


@given(size=st.integers(min_value=SINGLE_PUT_MAX + 1, max_value=OBJECT_MAX))
def test_parts_grow_only_when_ten_thousand_would_not_do(size: int) -> None:
    plan = plan_parts(size)
    assert plan.part_size % MiB == 0
    if plan.part_size > 64 * MiB:  # the preferred size, grown: one MiB less would not fit
        assert (plan.part_size - MiB) * PARTS_MAX < size


def test_limits() -> None:
    assert not plan_parts(SINGLE_PUT_MAX).multipart
    assert plan_parts(SINGLE_PUT_MAX + 1).multipart
    assert plan_parts(OBJECT_MAX).count <= PARTS_MAX
    with pytest.raises(PlanError):
        plan_parts(OBJECT_MAX + 1)
    with pytest.raises(PlanError):
        plan_parts(-1)
    with pytest.raises(PlanError):
        plan_parts(SINGLE_PUT_MAX + 1).part_range(0)


@given(data=st.binary(max_size=256))
def test_checksum_is_the_digest_in_base64(data: bytes) -> None:
    hex_digest = hashlib.sha256(data).hexdigest()
    checksum = checksum_of(hex_digest)
    assert checksum == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert hex_of(checksum) == hex_digest


@given(text=st.text(max_size=60))
def test_anything_else_is_no_sha256(text: str) -> None:
    found = hex_of(text)
    if found is not None:
        assert len(found) == 64


def test_composite_checksums_are_not_digests() -> None:
    checksum = checksum_of("ab" * 32)
    assert hex_of(f"{checksum}-3") is None
    assert hex_of(base64.b64encode(b"short").decode()) is None


@given(st.lists(st.binary(max_size=64), min_size=1, max_size=12), st.binary(max_size=64))
def test_the_composite_checksum_ties_part_checksums_to_part_bytes(
    parts: list[bytes], other: bytes
) -> None:
    """S3's composite checksum of a multipart object is the SHA-256 of its parts' SHA-256s;
    listing the checksum of any other bytes for one part does not give it (issue 11, D3)."""
    checksums = [base64.b64encode(hashlib.sha256(p).digest()).decode() for p in parts]
    whole = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    stored = base64.b64encode(whole).decode()
    assert composite_of(checksums) == f"{stored}-{len(parts)}"
    assert matches_composite(f"{stored}-{len(parts)}", checksums)
    assert matches_composite(stored, checksums)  # moto leaves the count off
    assert not matches_composite(f"{stored}-{len(parts) + 1}", checksums)
    if other != parts[0]:
        lying = [base64.b64encode(hashlib.sha256(other).digest()).decode(), *checksums[1:]]
        assert not matches_composite(stored, lying)
