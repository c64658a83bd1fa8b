"""Copy one image from Berth to a destination, in the order that keeps the destination
consistent at every moment: blobs first (streamed from S3 a window at a time, skipping
what the destination has: HEAD, then a cross-repository mount), then manifests (an index's
children before the index), then the tag; then, if the rule says so, its referrers.

Every step is idempotent, so a run that fails halfway is simply run again: what arrived is
found present and skipped, nothing is sent twice."""

from __future__ import annotations

import threading
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from chalicelib.config import settings
from chalicelib.oci.digest import checked_digest, parse_digest
from chalicelib.oci.manifest import parse_manifest
from chalicelib.oci.media_types import INDEXES
from chalicelib.replication.prefetch import prefetched
from chalicelib.replication.sinks import Sink
from chalicelib.storage import aws, blobs, manifests, referrers

CHUNK = 8 << 20  # S3 read window; two per blob in flight (prefetch.py) are its memory
PARALLEL = 4  # blobs in flight at once
MAX_REFERRERS = 1000


class SourceGone(LookupError):
    """The image is no longer in Berth (deleted since the push): nothing to copy."""


@dataclass
class Copied:
    blobs_sent: int = 0
    blobs_present: int = 0
    blobs_mounted: int = 0
    bytes_sent: int = 0
    manifests_put: int = 0
    manifests_present: int = 0
    mount_from: tuple[str, ...] = field(default_factory=tuple)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def summary(self) -> str:
        return (
            f"{self.blobs_sent} blobs sent ({self.bytes_sent} bytes), {self.blobs_present} "
            f"present, {self.blobs_mounted} mounted; {self.manifests_put} manifests put, "
            f"{self.manifests_present} present"
        )


def chunks_of(digest: str, window: int = CHUNK, start: int = 0) -> Generator[bytes, None, None]:
    """The blob's bytes from S3 from `start` (a ranged GET), `window` at a time."""
    key = blobs.blob_key(parse_digest(digest))
    ranged = {"Range": f"bytes={start}-"} if start else {}
    answer = aws.s3().get_object(Bucket=settings().bucket, Key=key, **ranged)
    body = answer["Body"]
    try:
        yield from body.iter_chunks(window)
    finally:
        body.close()


def _blob(sink: Sink, digest: str, size: int, copied: Copied) -> None:
    """One blob: skipped if the destination has it, else mounted or sent."""
    if not sink.missing([digest]):
        with copied.lock:
            copied.blobs_present += 1
        return
    if any(sink.mount(digest, source) for source in copied.mount_from):
        with copied.lock:
            copied.blobs_mounted += 1
        return
    window = sink.window(size) or CHUNK
    sink.send(digest, size, lambda start: prefetched(chunks_of(digest, window, start)))
    with copied.lock:
        copied.blobs_sent += 1
        copied.bytes_sent += size


def _blobs(sink: Sink, wanted: dict[str, int], copied: Copied) -> None:
    """Each blob asked for and, if missing, sent, PARALLEL at a time (as docker and skopeo
    do), each thread with connections of its own: the question about one blob overlaps the
    upload of another rather than all questions waiting in line before the first byte
    goes. Memory stays PARALLEL read windows (two each: prefetch.py)."""
    digests = sorted(wanted)
    if len(digests) <= 1:
        for digest in digests:
            _blob(sink, digest, wanted[digest], copied)
        return
    twins = [sink.twin() for _ in range(min(PARALLEL, len(digests)))]
    spare = list(twins)
    lock = threading.Lock()

    def one(digest: str) -> None:
        with lock:
            mine = spare.pop()
        try:
            _blob(mine, digest, wanted[digest], copied)
        finally:
            with lock:
                spare.append(mine)

    try:
        with ThreadPoolExecutor(len(twins), thread_name_prefix="berth-replica") as pool:
            # Largest first: the longest upload starts at once, the small ones fill in.
            order = sorted(digests, key=lambda d: -wanted[d])
            for done in [pool.submit(one, d) for d in order]:
                done.result()  # the first failure fails the copy (retried as a whole)
    finally:
        for twin in twins:
            if twin is not sink:
                twin.close()


def _manifest(
    repository: str,
    digest: str,
    sink: Sink,
    copied: Copied,
    depth: int = 0,
    tag: str | None = None,
) -> bytes:
    """`digest` at the sink with everything it names first; put under `tag` when given (one
    PUT by tag makes the digest exist too: no PUT by digest before it)."""
    stored = manifests.by_digest(repository, checked_digest(digest))  # a stored manifest's
    if stored is None:
        raise SourceGone(f"{repository}@{digest} is not in Berth")
    if sink.has_manifest(digest):
        copied.manifests_present += 1
        if tag is not None:
            sink.put_manifest(stored.body, stored.media_type, digest, tag)
            copied.manifests_put += 1
        return stored.body
    parsed = parse_manifest(stored.body, stored.media_type)
    if parsed.media_type in INDEXES and depth < 2:
        for child in parsed.manifests:
            _manifest(repository, child.digest, sink, copied, depth + 1)
    _blobs(sink, {b.digest: b.size for b in parsed.blobs if not b.urls}, copied)
    sink.put_manifest(stored.body, stored.media_type, digest, tag)
    copied.manifests_put += 1
    return stored.body


def push(
    repository: str,
    digest: str,
    tag: str | None,
    sink: Sink,
    *,
    follow_referrers: bool,
    mount_from: tuple[str, ...] = (),
) -> Copied:
    """Make `digest` (and `tag` → it) exist at the sink, with its referrers if asked."""
    copied = Copied(mount_from=mount_from)
    sink.prepare()
    _manifest(repository, digest, sink, copied, tag=tag)
    if follow_referrers:
        found, _ = referrers.descriptors(repository, checked_digest(digest), None, MAX_REFERRERS)
        for descriptor in found:
            _manifest(repository, str(descriptor["digest"]), sink, copied)
    return copied
