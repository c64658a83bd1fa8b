"""A blob fetched from upstream into S3 on its first pull, then linked in the cached
repository, so it is answered like any pushed blob (a presigned redirect).

Bytes go from upstream to S3 a part at a time (bounded memory: one PART in hand), hashed on
the way; the object becomes visible only when the whole is verified (a single PutObject
that S3 checks against the SHA-256, or a multipart upload completed only after the digest
matched, otherwise aborted). Both writes are conditional (If-None-Match), and the link goes
through `blobs.commit`, which keeps garbage collection's protocol.

One fetch per blob however many clients ask at once: the first takes a claim in DynamoDB
(chalicelib/cache/fill_claims.py); the others wait for the object and link it.

A GET (`first_pull`) need not wait when upstream redirects to its storage: the client is
sent there, and the fill runs from the delivery queue (chalicelib/cache/fill_jobs.py)."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator

from chalicelib.cache import fill_claims, upstream_guard
from chalicelib.cache.manifest_fill import bad_upstream
from chalicelib.cache.rules import CacheRule
from chalicelib.config import settings
from chalicelib.oci.digest import Digest
from chalicelib.oci.errors import OCIError
from chalicelib.remote.blob_download import Download, locate_blob, open_blob
from chalicelib.remote.session import RemoteRegistry
from chalicelib.storage import aws, blobs
from chalicelib.storage.records import BlobLink

PART = 8 << 20  # bytes in hand at once; S3's parts are at least 5 MiB
WAIT_SECONDS = 600.0  # how long a waiter waits for another request's fetch
POLL_SECONDS = 0.5

# Tests replace these instead of sleeping or reading the wall clock.
sleep: Callable[[float], None] = time.sleep
monotonic: Callable[[], float] = time.monotonic
epoch: Callable[[], float] = time.time


class UpstreamMissing(LookupError):
    """Upstream does not have the blob."""


class FillUnderWay(RuntimeError):
    """Another fill holds the blob's claim, and the caller asked not to wait for it (a queue
    consumer: the fill may be the next message of the same consumer)."""


def _hasher(digest: Digest) -> hashlib._Hash:
    return hashlib.new(digest.algorithm)


def _parts(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The stream regrouped into PART-sized pieces (the last one shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= PART:
            yield bytes(pending[:PART])
            del pending[:PART]
    if pending:
        yield bytes(pending)


def _check(rule: CacheRule, digest: Digest, hasher: hashlib._Hash, size: int, got: int) -> None:
    if got != size:
        raise bad_upstream(rule, f"blob {digest} ended after {got} of {size} bytes")
    if hasher.hexdigest() != digest.hex:
        raise bad_upstream(
            rule, f"blob {digest} has digest {digest.algorithm}:{hasher.hexdigest()}"
        )


def write(rule: CacheRule, digest: Digest, download: Download, key: str) -> None:
    """Stream `download` into `key`, visible only once verified."""
    s3 = aws.s3()
    bucket = settings().bucket
    hasher = _hasher(digest)
    parts = _parts(download.chunks(1 << 20))
    first = next(parts, b"")
    second = next(parts, None)
    if second is None:  # one part: one PutObject
        hasher.update(first)
        _check(rule, digest, hasher, download.size, len(first))
        blobs.write_bytes(key, digest, first)
        return
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    try:
        done: list[dict[str, object]] = []
        got = 0
        for number, part in enumerate(_chain(first, second, parts), start=1):
            hasher.update(part)
            got += len(part)
            etag = s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part
            )["ETag"]
            done.append({"PartNumber": number, "ETag": etag})
        _check(rule, digest, hasher, download.size, got)
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": done},
            IfNoneMatch="*",
        )
    except BaseException:
        with contextlib.suppress(Exception):
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    finally:
        download.close()


def _chain(first: bytes, second: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield second
    yield from rest


def _fetch_into(
    rule: CacheRule,
    session: Callable[[], RemoteRegistry],
    name: str,
    digest: Digest,
    opened: Download | None = None,
) -> None:
    """Fetch and commit under the claim (from `opened` if upstream's answer is in hand);
    `restore` (GC took the object meanwhile) fetches again, since a consumed stream cannot
    be replayed."""
    upstream_name = rule.upstream_repository(name)
    download = opened or open_blob(session(), upstream_name, str(digest))
    if download is None:
        raise UpstreamMissing(str(digest))
    pending: list[Download] = [download]

    def store(key: str) -> None:
        current = pending.pop() if pending else open_blob(session(), upstream_name, str(digest))
        if current is None:
            raise UpstreamMissing(str(digest))
        write(rule, digest, current, key)

    try:
        blobs.commit(name, digest, download.size, store)
    finally:
        download.close()


def _link_stored(
    rule: CacheRule, registry: Callable[[], RemoteRegistry], name: str, digest: Digest, size: int
) -> BlobLink | None:
    """Stored already (another repository, or another request): linked in `name` too."""
    restore = lambda k: _restore(rule, registry, name, digest, k)  # noqa: E731
    blobs.commit(name, digest, size, restore, look_first=True)
    return blobs.get_link(name, digest)


def _fetch_claimed(
    rule: CacheRule,
    registry: Callable[[], RemoteRegistry],
    name: str,
    digest: Digest,
    owner: str,
    opened: Download | None = None,
) -> BlobLink | None:
    """The fetch of the claim's holder; the claim goes back however it ends (opening the
    session may refuse too: upstream's 429)."""
    sessions: list[RemoteRegistry] = []

    def session() -> RemoteRegistry:  # opened once, and only if needed
        if not sessions:
            sessions.append(registry())
        return sessions[0]

    try:
        _fetch_into(rule, session, name, digest, opened)
    except UpstreamMissing:
        return None
    finally:
        for upstream in sessions:
            upstream.close()
        if opened is not None:
            opened.close()
        fill_claims.release(str(digest), owner)
    return blobs.get_link(name, digest)


def fill(
    rule: CacheRule,
    registry: Callable[[], RemoteRegistry],
    name: str,
    digest: Digest,
    opened: Download | None = None,
    *,
    wait: bool = True,
) -> BlobLink | None:
    """Make `digest` readable in `name`, from S3 if some repository already stored it, else
    from upstream (`opened`: upstream's answer already in hand); None if upstream does not
    have it. Without `wait`, FillUnderWay if another fill holds the claim."""
    key = blobs.blob_key(digest)
    owner = fill_claims.new_owner()
    deadline = monotonic() + WAIT_SECONDS
    try:
        while True:
            size = blobs.stored_size(key)
            if size is not None:
                return _link_stored(rule, registry, name, digest, size)
            if fill_claims.take(str(digest), owner, epoch()):
                held, opened = opened, None
                return _fetch_claimed(rule, registry, name, digest, owner, held)
            if opened is not None:  # another request fetches it: this answer is not needed
                opened.close()
                opened = None
            if not wait:
                raise FillUnderWay(f"blob {digest} is being fetched by another fill")
            if monotonic() >= deadline:
                raise OCIError("UNAVAILABLE", f"blob {digest} is still being fetched; retry")
            sleep(POLL_SECONDS)
    finally:
        if opened is not None:
            opened.close()


def first_pull(
    rule: CacheRule, registry: Callable[[], RemoteRegistry], name: str, digest: Digest
) -> BlobLink | str | None:
    """What a GET of a blob `name` does not have answers: its link if S3 has the bytes;
    upstream's storage URL when upstream redirects there (the client is sent on at once
    and the fill is queued: chalicelib/cache/fill_jobs.py); otherwise (upstream serves the
    bytes itself) the fill, then the link, since a Lambda handler cannot stream a response
    while storing it. None if upstream does not have the blob."""
    size = blobs.stored_size(blobs.blob_key(digest))
    if size is not None:
        return _link_stored(rule, registry, name, digest, size)
    upstream = registry()
    try:
        found = locate_blob(upstream, rule.upstream_repository(name), str(digest))
    finally:
        upstream.close()
    if found is None:
        return None
    if not isinstance(found, str):
        return fill(rule, registry, name, digest, found)
    refusal = upstream_guard.check_location(found, rule.allow_networks)
    if refusal is not None:
        raise bad_upstream(rule, f"blob {digest} redirects where Berth may not send a client: "
                                 f"{refusal}")  # fmt: skip
    owner = fill_claims.new_owner()
    if fill_claims.take(str(digest), owner, epoch()):  # else a fill is under way already
        from chalicelib.cache import fill_jobs

        fill_jobs.enqueue(name, digest, owner)
    return found


def queued_fill(
    rule: CacheRule, registry: Callable[[], RemoteRegistry], name: str, digest: Digest, owner: str
) -> BlobLink | None:
    """A fill queued by `first_pull`, under the claim its request took (`owner`); nothing to
    do if the bytes are stored or another fill took the claim over (it expired)."""
    size = blobs.stored_size(blobs.blob_key(digest))
    if size is not None:
        fill_claims.release(str(digest), owner)
        return _link_stored(rule, registry, name, digest, size)
    if not fill_claims.take(str(digest), owner, epoch()):
        return None
    return _fetch_claimed(rule, registry, name, digest, owner)


def _restore(
    rule: CacheRule, registry: Callable[[], RemoteRegistry], name: str, digest: Digest, key: str
) -> None:
    """The object was found in S3 but garbage collection may be deleting it: write it again."""
    upstream = registry()
    try:
        download = open_blob(upstream, rule.upstream_repository(name), str(digest))
        if download is None:
            raise UpstreamMissing(str(digest))
        write(rule, digest, download, key)
    finally:
        upstream.close()
