"""An upload closed with a digest of another algorithm than the session's running hash
(a plain POST hashes sha256; `PUT ?digest=sha512:...` closes it): the staged bytes are
hashed again server-side, so the blob is stored when they match, and a mismatch leaves
nothing behind (issue 11, spec item 2). The sha256 path makes no extra AWS call."""

from __future__ import annotations

import random
from typing import Any

import pytest

from bench.awscalls import recording
from chalicelib.oci.digest import parse_digest
from chalicelib.storage.blobs import blob_key
from tests.api.helpers import (
    assert_error,
    assert_ok,
    blob_head,
    digest_of,
    fetch_blob,
    header,
    patch_upload,
    put_upload,
    start_upload,
)

MiB = 1024 * 1024
# (opened with, closed with): a plain POST runs sha256.
MISMATCHED = [("", "sha512"), ("?digest-algorithm=sha512", "sha256")]


def _data(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _chunks(data: bytes, sizes: list[int]) -> list[tuple[int, bytes]]:
    out, start = [], 0
    for size in sizes:
        out.append((start, data[start : start + size]))
        start += size
    assert start == len(data)
    return out


def _upload_id(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def _staged(s3: Any, bucket: str, location: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"uploads/{_upload_id(location)}/")
    return [o["Key"] for o in listed.get("Contents", [])]


def _assert_served(client: Any, s3: Any, repo: str, data: bytes, digest: str) -> None:
    head = blob_head(client, repo, digest)
    assert_ok(head, 200)
    assert header(head, "Docker-Content-Digest") == digest
    assert fetch_blob(client, s3, repo, digest) == data


# Chunk layouts: small pending chunks only; a 5 MiB+ part followed by pending chunks.
LAYOUTS = {
    "small-chunks": (3000, [1000, 1, 999, 1000]),
    "part-then-chunks": (6 * MiB + 700, [6 * MiB, 300, 400]),
}


@pytest.mark.parametrize(("opened", "algorithm"), MISMATCHED)
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS.keys())
@pytest.mark.parametrize("ranged", [True, False], ids=["content-range", "streamed"])
def test_patched_upload_closed_with_another_algorithm(
    client: Any,
    repo: str,
    s3: Any,
    aws: dict[str, str],
    opened: str,
    algorithm: str,
    layout: str,
    ranged: bool,
) -> None:
    size, sizes = LAYOUTS[layout]
    data = _data(size, seed=len(sizes))
    location = start_upload(client, repo, opened)
    for start, chunk in _chunks(data, sizes):
        span = f"{start}-{start + len(chunk) - 1}" if ranged else None
        assert_ok(patch_upload(client, location, chunk, span), 202)
    digest = digest_of(data, algorithm)
    response = put_upload(client, location, b"", digest)
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == digest
    _assert_served(client, s3, repo, data, digest)
    assert _staged(s3, aws["BucketName"], location) == []


@pytest.mark.parametrize(("opened", "algorithm"), MISMATCHED)
def test_after_a_416_recovery(client: Any, repo: str, s3: Any, opened: str, algorithm: str) -> None:
    data = _data(4000, seed=7)
    location = start_upload(client, repo, opened)
    assert_ok(patch_upload(client, location, data[:1500], "0-1499"), 202)
    # A chunk sent from the wrong offset is refused and changes nothing...
    refused = patch_upload(client, location, data[1000:2000], "1000-1999")
    assert refused.status_code == 416
    assert header(refused, "Range") == "0-1499"
    # ...and the client resumes where the registry says it is.
    assert_ok(patch_upload(client, location, data[1500:3000], "1500-2999"), 202)
    digest = digest_of(data, algorithm)
    # The final PUT carries the last chunk.
    response = put_upload(
        client, location, data[3000:], digest, {"content-range": f"3000-{len(data) - 1}"}
    )
    assert_ok(response, 201)
    _assert_served(client, s3, repo, data, digest)


@pytest.mark.parametrize(("opened", "algorithm"), MISMATCHED)
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS.keys())
def test_final_put_carrying_the_last_chunk(
    client: Any, repo: str, s3: Any, opened: str, algorithm: str, layout: str
) -> None:
    size, sizes = LAYOUTS[layout]
    data = _data(size, seed=3)
    location = start_upload(client, repo, opened)
    *patched, (_, last) = _chunks(data, sizes)
    for _, chunk in patched:
        assert_ok(patch_upload(client, location, chunk), 202)
    digest = digest_of(data, algorithm)
    assert_ok(put_upload(client, location, last, digest), 201)
    _assert_served(client, s3, repo, data, digest)


@pytest.mark.parametrize(("opened", "algorithm"), MISMATCHED)
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS.keys())
def test_mismatch_is_digest_invalid_and_leaves_nothing(
    client: Any,
    repo: str,
    s3: Any,
    aws: dict[str, str],
    opened: str,
    algorithm: str,
    layout: str,
) -> None:
    size, sizes = LAYOUTS[layout]
    data = _data(size, seed=11)
    location = start_upload(client, repo, opened)
    for _, chunk in _chunks(data, sizes):
        assert_ok(patch_upload(client, location, chunk), 202)
    claimed = digest_of(data + b"!", algorithm)
    assert_error(put_upload(client, location, b"", claimed), 400, "DIGEST_INVALID")
    bucket = aws["BucketName"]
    assert "Contents" not in s3.list_objects_v2(
        Bucket=bucket, Prefix=blob_key(parse_digest(claimed))
    )
    assert _staged(s3, bucket, location) == []
    assert blob_head(client, repo, claimed).status_code == 404
    assert_error(client.http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_rehash_reads_each_staged_object_once_and_the_common_path_none(
    client: Any, repo: str, algorithm: str
) -> None:
    """One staged part, no pending chunks: closing with the session's own algorithm reads
    nothing back from S3; closing with the other reads the part exactly once."""
    data = _data(5 * MiB, seed=5)
    location = start_upload(client, repo)
    assert_ok(patch_upload(client, location, data), 202)
    with recording() as recorder, recorder.window() as tally:
        assert_ok(put_upload(client, location, b"", digest_of(data, algorithm)), 201)
    reads = tally.operations("s3")["GetObject"]
    assert reads == (0 if algorithm == "sha256" else 1)
