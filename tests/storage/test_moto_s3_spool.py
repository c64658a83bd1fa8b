"""`berth.moto_s3_spool`: moto's multipart completion and part copies give moto's own answers
(bytes, ETag, checksum) while never holding a whole object in memory."""

from __future__ import annotations

import hashlib
import os
import tempfile
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berth import moto_s3_spool
from berth.moto_s3_spool import SpooledValue

ALGORITHMS = [None, "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
TYPES = [None, "COMPOSITE", "FULL_OBJECT"]
MIN_PART = 16  # S3's 5 MiB part minimum, scaled down for the comparisons


@pytest.fixture(autouse=True)
def patched(aws: dict[str, str]) -> None:
    moto_s3_spool.stream_multipart_objects()  # the session's fixture applied it already


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Parts of a few bytes are large enough, and copies go 7 bytes at a time."""
    import moto.s3.models
    import moto.settings

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", MIN_PART)
    monkeypatch.setattr(moto.settings, "S3_UPLOAD_PART_MIN_SIZE", MIN_PART)
    monkeypatch.setattr(moto_s3_spool, "PIECE", 7)
    yield


@pytest.fixture(params=["in memory", "on disk"])
def spool_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Objects kept in memory (moto's default below 5 MiB) or in files from their 9th byte,
    where a whole-object part copy shares its source's file."""
    size = "8" if request.param == "on disk" else str(1 << 20)
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", size)
    return str(request.param)


def _multipart(parts: list[bytes], algorithm: str | None, kind: str | None) -> Any:
    from moto.s3.models import FakeMultipart
    from moto.utilities.utils import CaseInsensitiveDict

    metadata = CaseInsensitiveDict()
    if algorithm:
        metadata["x-amz-checksum-algorithm"] = algorithm
    if kind:
        metadata["x-amz-checksum-type"] = kind
    multipart = FakeMultipart("key", metadata, "123456789012", "us-east-1")
    for number, data in enumerate(parts, start=1):
        multipart.set_part(number, data)
    return multipart


def _read(value: Any) -> bytes:
    if isinstance(value, SpooledValue):
        data = value.spool.read()
        assert len(data) == value.size
        return data
    return bytes(value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(MIN_PART, 60), min_size=1, max_size=4),
    tail=st.integers(0, 20),
    algorithm=st.sampled_from(ALGORITHMS),
    kind=st.sampled_from(TYPES),
    seed=st.integers(0, 2**32),
)
def test_completion_answers_as_moto_does(
    small_parts: None,
    spool_size: str, sizes: list[int], tail: int, algorithm: str | None, kind: str | None,
    seed: int,
) -> None:  # fmt: skip
    import random

    rng = random.Random(seed)
    parts = [rng.randbytes(n) for n in [*sizes, tail] if n]
    if algorithm == "CRC64NVME" and kind == "COMPOSITE":
        kind = "FULL_OBJECT"  # S3 has no composite CRC64NVME
    body = [(n, f'"{hashlib.md5(p).hexdigest()}"') for n, p in enumerate(parts, start=1)]
    theirs = moto_s3_spool.originals["complete"](_multipart(parts, algorithm, kind), iter(body))
    ours_multipart = _multipart(parts, algorithm, kind)
    ours = moto_s3_spool._complete(ours_multipart, iter(body))
    ours_multipart.dispose()  # as moto does once the upload is completed: the object still reads
    assert _read(ours[0]) == _read(theirs[0]) == b"".join(parts)
    assert ours[1:] == theirs[1:]
    assert ours_multipart.completed_part_sizes == [len(p) for p in parts]


def test_completion_refuses_what_moto_refuses(small_parts: None) -> None:
    from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML

    parts = [b"a" * 5, b"b" * MIN_PART]
    multipart = _multipart(parts, None, None)
    etags = [f'"{hashlib.md5(p).hexdigest()}"' for p in parts]
    with pytest.raises(EntityTooSmall):
        moto_s3_spool._complete(multipart, iter([(1, etags[0]), (2, etags[1])]))
    with pytest.raises(InvalidPart):
        moto_s3_spool._complete(multipart, iter([(2, etags[0])]))
    with pytest.raises(InvalidPart):
        moto_s3_spool._complete(multipart, iter([(3, etags[0])]))
    with pytest.raises(MalformedXML):
        moto_s3_spool._complete(multipart, iter([]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(0, 50),
    start=st.none() | st.integers(0, 60),
    length=st.integers(0, 60),
)
def test_part_copy_copies_what_moto_copies(
    small_parts: None, spool_size: str, size: int, start: int | None, length: int
) -> None:
    from moto.s3.models import s3_backends

    backend: Any = s3_backends["123456789012"]["aws"]
    bucket = f"spool-{uuid.uuid4().hex[:12]}"
    backend.create_bucket(bucket, "us-east-1")
    try:
        data = os.urandom(size)
        source = backend.put_object(bucket, "source", data)
        assert source.etag  # as PutObject's answer computes it: a whole copy reuses it
        end = None if start is None else start + length
        copied = []
        for copy in (moto_s3_spool.originals["upload_part_copy"], moto_s3_spool._upload_part_copy):
            upload = backend.create_multipart_upload(
                bucket, "dest", {}, None, None, None, None, None
            )
            part = copy(backend, bucket, upload.id, 1, bucket, "source", None, start, end)
            copied.append((part.value, part.size, part.etag))
        assert copied[0] == copied[1]
        on_disk = spool_size == "on disk" and size > 8
        whole = start is None or (start == 0 and end is not None and end + 1 >= size)
        shares = on_disk and whole
        probe = moto_s3_spool.shared_file(source)
        assert on_disk == (probe is not None)
        if probe is not None:
            probe.close()
        assert shares == (not isinstance(part._value_buffer, tempfile.SpooledTemporaryFile))
        backend.delete_object(bucket, "source")  # a part that shares its file still reads
        assert part.value == copied[1][0]
        assert copied[1][2] == f'"{hashlib.md5(copied[1][0]).hexdigest()}"'
        assert copied[1][0] == (data if start is None else data[start : end + 1])  # type: ignore[operator]
    finally:
        for key in list(backend.get_bucket(bucket).keys.values()):
            key.dispose()
        backend.get_bucket(bucket).keys.clear()
        backend.get_bucket(bucket).multiparts.clear()
        backend.delete_bucket(bucket)


def test_a_blob_assembled_through_boto3_never_is_whole_in_memory() -> None:
    """Three 6 MiB parts copied into a multipart upload, one of them by range, completed: the
    bytes are right, and no allocation came near the object's size."""
    s3: Any = boto3.client("s3")
    bucket = os.environ["BERTH_BUCKET"]
    prefix = f"spool-test/{uuid.uuid4().hex}"
    mib = 1024 * 1024
    parts = [os.urandom(6 * mib) for _ in range(3)]
    for number, data in enumerate(parts):
        s3.put_object(Bucket=bucket, Key=f"{prefix}/part-{number}", Body=data)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/both", Body=parts[1] + parts[2])
    key = f"{prefix}/blob"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    tracemalloc.start()
    try:
        both = {"Bucket": bucket, "Key": f"{prefix}/both"}
        sources: list[dict[str, Any]] = [
            {"CopySource": {"Bucket": bucket, "Key": f"{prefix}/part-0"}},
            {"CopySource": both, "CopySourceRange": f"bytes=0-{6 * mib - 1}"},
            {"CopySource": both, "CopySourceRange": f"bytes={6 * mib}-{12 * mib - 1}"},
        ]
        etags = []
        for number, source in enumerate(sources, start=1):
            answer = s3.upload_part_copy(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, **source
            )
            etags.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
        tracemalloc.reset_peak()
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": etags}
        )
        _, completion_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stored = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored == b"".join(parts)
    expected_etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert s3.head_object(Bucket=bucket, Key=key)["ETag"] == f'"{expected_etag}-3"'
    # moto alone held the 18 MiB object four times over; now it reads one part at a time.
    assert completion_peak < 6 * mib + 2 * mib, completion_peak  # a part at most, once
    s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": k} for k in [key, f"{prefix}/both"]]
                + [{"Key": f"{prefix}/part-{n}"} for n in range(3)]},
    )  # fmt: skip
