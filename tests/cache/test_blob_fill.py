"""Blob fills against moto and the real upstream (tests/cache/conftest.py): concurrent first
pulls of one blob fetch it once; a large blob goes to S3 in parts; bytes that do not match
their digest never become visible."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.cache import blob_fill, fill_claims
from chalicelib.cache.rules import CacheRule
from chalicelib.cache.upstreams import parse_url
from chalicelib.config import settings
from chalicelib.oci.digest import Digest, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.remote.blob_download import Download
from chalicelib.storage import aws as storage_aws
from chalicelib.storage import blobs
from tests.cache.conftest import Upstream

THREADS = 6


def _rule(upstream: Upstream) -> CacheRule:
    return CacheRule("up/", parse_url(upstream.url, allow_http=True), 3600)


def _push_blob(upstream: Upstream, repository: str, data: bytes) -> Digest:
    from chalicelib.remote import uploads

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    remote = upstream.session()
    remote.want(f"repository:{repository}:pull,push")
    try:
        uploads.monolithic(remote, repository, digest, len(data), [data])
    finally:
        remote.close()
    return parse_digest(digest)


def _fetches(upstream: Upstream, repository: str, digest: Digest) -> int:
    return upstream.requests(repository).count(f"GET /v2/{repository}/blobs/{digest}")


@pytest.fixture
def released(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Waiters wake when the fetcher lets its claim go, not after a time."""
    event = threading.Event()
    real = fill_claims.release

    def release(digest: str, owner: str) -> None:
        real(digest, owner)
        event.set()

    monkeypatch.setattr(fill_claims, "release", release)
    monkeypatch.setattr(blob_fill, "sleep", lambda _seconds: event.wait(60))
    yield event


def test_concurrent_first_pulls_fetch_once(
    aws: dict[str, str], upstream: Upstream, released: threading.Event
) -> None:
    remote = f"lib/{uuid.uuid4().hex[:10]}"
    data = uuid.uuid4().bytes * 40_000  # 640 kB
    digest = _push_blob(upstream, remote, data)
    rule = _rule(upstream)
    start = threading.Barrier(THREADS)

    def pull(_: int) -> Any:
        start.wait()
        return blob_fill.fill(rule, lambda: upstream.session(), f"up/{remote}", digest)

    with ThreadPoolExecutor(THREADS) as pool:
        links = list(pool.map(pull, range(THREADS)))
    assert all(link is not None and int(link.size) == len(data) for link in links)
    assert _fetches(upstream, remote, digest) == 1, "\n".join(upstream.requests(remote))
    assert not fill_claims.held(str(digest))
    body = storage_aws.s3().get_object(Bucket=settings().bucket, Key=blobs.blob_key(digest))
    assert body["Body"].read() == data


def test_a_large_blob_is_stored_in_parts(
    aws: dict[str, str], upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blob_fill, "PART", 5 << 20)  # S3's smallest part: 3 parts here
    remote = f"lib/{uuid.uuid4().hex[:10]}"
    data = uuid.uuid4().bytes * (11 << 16)  # 11 MiB
    digest = _push_blob(upstream, remote, data)
    link = blob_fill.fill(_rule(upstream), lambda: upstream.session(), f"up/{remote}", digest)
    assert link is not None and int(link.size) == len(data)
    head = storage_aws.s3().head_object(Bucket=settings().bucket, Key=blobs.blob_key(digest))
    assert head["ContentLength"] == len(data)
    assert str(head["ETag"]).endswith('-3"'), "a multipart object"


class _Stream(Download):
    """Bytes standing in for an upstream's answer."""

    def __init__(self, pieces: list[bytes], size: int) -> None:
        self.size, self._pieces = size, pieces

    def chunks(self, window: int) -> Iterator[bytes]:
        yield from self._pieces

    def close(self) -> None:
        pass


@pytest.mark.parametrize("parts", [1, 3])
def test_bytes_that_do_not_match_are_never_visible(
    aws: dict[str, str], upstream: Upstream, monkeypatch: pytest.MonkeyPatch, parts: int
) -> None:
    monkeypatch.setattr(blob_fill, "PART", 5 << 20)
    claimed = uuid.uuid4().bytes * (parts * (5 << 16) // 2)
    digest = parse_digest("sha256:" + hashlib.sha256(claimed).hexdigest())
    served = bytes(reversed(claimed))  # same size, other bytes
    key = blobs.blob_key(digest)
    with pytest.raises(OCIError) as raised:
        blob_fill.write(_rule(upstream), digest, _Stream([served], len(served)), key)
    assert raised.value.status == 502
    with pytest.raises(ClientError):
        storage_aws.s3().head_object(Bucket=settings().bucket, Key=key)
    uploads = storage_aws.s3().list_multipart_uploads(Bucket=settings().bucket, Prefix=key)
    assert not uploads.get("Uploads")
