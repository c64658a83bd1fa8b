"""Rehashing staged upload objects (chalicelib/storage/staged_digest.py) against moto: the
digest of the objects in order then the tail, read a window at a time."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.storage import staged_digest as module


@settings(
    max_examples=25,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pieces=st.lists(st.binary(max_size=200), max_size=5),
    tail=st.binary(max_size=50),
    algorithm=st.sampled_from(["sha256", "sha512"]),
)
def test_digest_of_staged_objects_then_tail(
    s3: Any,
    aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    pieces: list[bytes],
    tail: bytes,
    algorithm: str,
) -> None:
    # A window far smaller than the objects: each is read in many bounded reads.
    monkeypatch.setattr(module, "WINDOW", 7)
    prefix = f"uploads/{uuid.uuid4().hex}/"
    keys = []
    for i, piece in enumerate(pieces):
        keys.append(f"{prefix}chunk-{i:04d}")
        s3.put_object(Bucket=aws["BucketName"], Key=keys[-1], Body=piece)
    expected = hashlib.new(algorithm, b"".join(pieces) + tail).hexdigest()
    assert module.staged_digest(keys, tail, algorithm) == expected
