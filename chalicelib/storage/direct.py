"""Direct-to-S3 upload sessions: the client PUTs a blob's bytes to S3 through presigned URLs,
then the registry verifies them and links the blob.

Nothing a client uploads is ever visible before it is verified: the URLs name a staging
object bound to the session (`uploads/<id>/blob`, the session `U#<id>`/`S3` records the
repository, digest, size and expiry), never the blob's content address. Completion:

1. multipart sessions: complete the S3 multipart upload from the client's part list (after
   that the staging object cannot be written again: the part URLs die with the upload);
2. verify: the size always; the SHA-256 by the checksum S3 stored where S3 enforces it
   (single PUTs in AWS: `BERTH_S3_ENFORCES_CHECKSUMS`), else by re-reading and hashing the
   object (moto, and multipart objects, whose checksum is composite). Re-hashing resumes
   across requests (the hash state is saved in the session) so each request stays inside a
   time budget; every read is conditioned on the ETag first seen, and a changed object
   starts the hash over;
3. copy the verified object to the content address `blobs/sha256/<hex>` server-side
   (UploadPartCopy, completed with If-None-Match: written once), conditioned on the ETag,
   and link the blob into the session's repository only;
4. delete the staging object and the session.

A failed verification deletes the staging object and the session: nothing is linked.
Sessions never completed expire (TTL); garbage collection deletes their staging objects and
aborts their multipart uploads (chalicelib/gc/collect.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib.config import settings
from chalicelib.oci.digest import Digest
from chalicelib.storage import blobs
from chalicelib.storage.direct_copy import copy_verified
from chalicelib.storage.direct_parts import assemble
from chalicelib.storage.direct_presign import part_puts, single_put
from chalicelib.storage.direct_session import (
    declare,
    declared,
    digest_of,
    forget,
    get_session,
    open_session,
    open_streamed,
    plan_of,
)
from chalicelib.storage.direct_verify import verify
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.records import DirectSession
from chalicelib.storage.upload_sessions import upload_id_of


@dataclass(frozen=True, slots=True)
class Linked:
    digest: Digest
    size: int


@dataclass(frozen=True, slots=True)
class Verifying:
    """Completion is under way: call again (the hash has covered `verified` bytes)."""

    verified: int
    size: int


def start(repo: str, digest: Digest, size: int) -> DirectSession:
    """A new session for `size` bytes of `digest` (storage/direct_session.py)."""
    return _described(open_session(repo, digest, size))


def start_streamed(repo: str, part_size: int | None = None) -> DirectSession:
    """A new streamed session: parts of `part_size` bytes, digest and size declared at
    completion (storage/direct_session.py)."""
    return _described(open_streamed(repo, part_size))


def describe(repo: str, upload_id: str) -> DirectSession:
    """The live session, with a fresh presigned URL if it is one PUT."""
    return _described(get_session(repo, upload_id))


def part_urls(repo: str, upload_id: str, wanted: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Presigned URLs for the parts (number, base64 SHA-256) of a multipart session."""
    return part_puts(get_session(repo, upload_id), wanted)


def _described(item: DirectUploadItem) -> DirectSession:
    plan = plan_of(item)
    known = declared(item)
    return DirectSession(
        upload_id=upload_id_of(item),
        digest=digest_of(item) if known else None,
        size=plan.size if known else None,
        part_size=plan.part_size,
        part_count=plan.count if known else None,
        multipart=plan.multipart,
        streamed=bool(item.streamed),
        expires_at=int(item.expires_at),
        verified=int(item.verified or 0),
        single_put=None if plan.multipart else single_put(item),
    )


def complete(
    repo: str,
    upload_id: str,
    parts: list[dict[str, Any]] | None,
    declaring: tuple[Digest, int] | None = None,
) -> Linked | Verifying:
    """Verify the uploaded bytes and link the blob into `repo`, or say how far it got.
    `declaring`: a streamed session's digest and size (given with every completion)."""
    started = time.monotonic()
    item = get_session(repo, upload_id)
    if item.streamed:
        declare(item, declaring)
    if item.multipart_id is not None and not item.assembled:
        assemble(item, parts)
    digest = digest_of(item)
    etag = verify(item, digest, started + settings().verify_seconds)
    if etag is None:
        return Verifying(int(item.verified or 0), int(item.size))
    size = int(item.size)
    # The staging object goes only after the commit: the copy may have to run again.
    blobs.commit(repo, digest, size, lambda key: copy_verified(item, etag, key), look_first=True)
    forget(item)
    return Linked(digest, size)


def cancel(repo: str, upload_id: str) -> None:
    forget(get_session(repo, upload_id))
