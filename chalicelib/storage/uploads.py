"""Blob upload sessions: chunks go to S3 as they arrive, the hash resumes across requests.

A session's bytes wait in S3 as staging objects under `uploads/<id>/`: `parts` of at least
5 MiB (S3's minimum multipart part), and after them the `pending` chunks too small to be a
part yet. The SHA-256/512 state travels in the session item between requests; a final PUT naming
the other algorithm rehashes the staged bytes once (staged_digest.py). Only when
the final PUT has verified the digest is a multipart upload opened, on the blob's content
address, with each staging part copied in server-side (UploadPartCopy): the blob lands
where it will live, with no whole-object copy afterwards.

Concurrency: a request first takes the session's lock with a conditional write on the
offset it starts from; only the holder may move the session forward, and it commits with
a write conditioned on still holding the lock. So two requests on one session can never
both win, and a request that fails releases the lock and leaves the session as it was, so
the client's retry starts from the same state.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, new_hasher
from chalicelib.storage import aws, blobs, keys
from chalicelib.storage.clock import epoch, now
from chalicelib.storage.errors import DigestInvalid, UploadOffsetConflict
from chalicelib.storage.models import UploadItem
from chalicelib.storage.part_copy import PartSource, copy_parts, write_in_parts
from chalicelib.storage.records import UploadState
from chalicelib.storage.transactions import condition_failed
from chalicelib.storage.upload_sessions import (
    is_upload_id,
    live_session,
    new_upload_id,
    staging_prefix,
    unknown,
)
from chalicelib.storage.upload_sessions import upload_id_of as item_upload_id

MiB = 1024 * 1024
PART_MIN = 5 * MiB  # S3's smallest multipart part (except the last)
LOCK_SECONDS = 120  # longest a request may hold a session before another may take over


@dataclass(frozen=True, slots=True)
class Finished:
    digest: Digest
    size: int


def _pk(upload_id: str) -> str:
    return keys.upload_pk(upload_id)


def open_session(repo: str, algorithm: str) -> UploadState:
    upload_id = new_upload_id()
    item = UploadItem(
        _pk(upload_id),
        keys.UPLOAD_SK,
        repository=repo,
        algorithm=algorithm,
        offset=0,
        created_at=now(),
        expires_at=epoch() + settings().upload_ttl,
    )
    item.save(condition=UploadItem.pk.does_not_exist())
    return UploadState(upload_id, 0)


def upload_id_of(session: UploadState) -> str:
    return session.upload_id


def state(repo: str, upload_id: str) -> UploadState:
    """GET of a session: how many bytes it holds (UploadUnknown if it is not live)."""
    return UploadState(upload_id, int(get_session(repo, upload_id).offset))


def get_session(repo: str, upload_id: str) -> UploadItem:
    return live_session(UploadItem, keys.UPLOAD_SK, repo, upload_id)


def _acquire(repo: str, upload_id: str, start: int | None) -> tuple[UploadItem, str]:
    """Take the session's lock, starting at byte `start` (None: wherever the session is)."""
    if not is_upload_id(upload_id):
        raise unknown(upload_id)
    holder = uuid.uuid4().hex
    moment = epoch()
    item = UploadItem(_pk(upload_id), keys.UPLOAD_SK)
    condition = (UploadItem.repository == repo) & (UploadItem.expires_at >= moment)
    condition &= UploadItem.lock_id.does_not_exist() | (UploadItem.lock_until < moment)
    if start is not None:
        condition &= UploadItem.offset == start
    try:
        item.update(
            actions=[
                UploadItem.lock_id.set(holder),
                UploadItem.lock_until.set(moment + LOCK_SECONDS),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        current = get_session(repo, upload_id)  # raises UploadUnknown
        offset = int(current.offset)
        if start is not None and offset != start:
            raise UploadOffsetConflict(
                f"chunk starts at {start} but the upload has {offset} bytes",
                repository=repo,
                upload_id=upload_id,
                offset=offset,
            ) from None
        raise UploadOffsetConflict(
            "another request is writing to this upload; retry after it finishes",
            repository=repo,
            upload_id=upload_id,
            offset=offset,
        ) from None
    return item, holder


def _release(item: UploadItem, holder: str) -> None:
    try:
        item.update(
            actions=[UploadItem.lock_id.remove(), UploadItem.lock_until.remove()],
            condition=UploadItem.lock_id == holder,
        )
    except Exception:  # best effort: the lock expires by itself
        pass


def _read_pending(pending: list[dict[str, Any]]) -> bytes:
    bucket = settings().bucket
    return b"".join(
        aws.s3().get_object(Bucket=bucket, Key=p["key"])["Body"].read() for p in pending
    )


def _delete_keys(keys: list[str]) -> None:
    if not keys:
        return
    try:
        aws.s3().delete_objects(
            Bucket=settings().bucket,
            Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
        )
    except Exception:  # best effort: the bucket's lifecycle rule removes staging objects
        pass


@dataclass(slots=True)
class _Progress:
    """The session's state as one request moves it forward."""

    upload_id: str
    offset: int
    parts: list[dict[str, Any]]  # [{"key": staging object, "size": bytes}], each >= PART_MIN
    pending: list[dict[str, Any]]  # staging objects smaller than a part, after the parts
    consumed: list[str]  # pending objects folded into a part, to delete after commit

    @classmethod
    def of(cls, item: UploadItem) -> _Progress:
        return cls(
            upload_id=item_upload_id(item),
            offset=int(item.offset),
            parts=list(item.parts or []),
            pending=list(item.pending or []),
            consumed=[],
        )

    @property
    def pending_size(self) -> int:
        return sum(int(p["size"]) for p in self.pending)

    def _put(self, kind: str, data: bytes) -> dict[str, Any]:
        # A fresh key per attempt: a retried or concurrent request never overwrites
        # bytes that a committed session state refers to.
        key = f"{staging_prefix(self.upload_id)}{kind}-{self.offset:016d}-{uuid.uuid4().hex[:8]}"
        aws.s3().put_object(Bucket=settings().bucket, Key=key, Body=data)
        return {"key": key, "size": len(data)}

    def add(self, data: bytes) -> None:
        if self.pending_size + len(data) >= PART_MIN:
            body = _read_pending(self.pending) + data if self.pending else data
            self.parts.append(self._put("part", body))
            self.consumed.extend(p["key"] for p in self.pending)
            self.pending = []
        elif data:
            self.pending.append(self._put("chunk", data))
        self.offset += len(data)

    def staging_keys(self) -> list[str]:
        return [p["key"] for p in self.parts + self.pending]


def append(repo: str, upload_id: str, data: bytes, start: int | None) -> UploadState:
    """PATCH: append `data` at `start` (None: at the current offset)."""
    item, holder = _acquire(repo, upload_id, start)
    try:
        hasher = new_hasher(item.algorithm, item.hash_state)
        progress = _Progress.of(item)
        progress.add(data)
        hasher.update(data)
        item.update(
            actions=[
                UploadItem.offset.set(progress.offset),
                UploadItem.hash_state.set(hasher.serialize()),
                UploadItem.parts.set(progress.parts),
                UploadItem.pending.set(progress.pending),
                UploadItem.expires_at.set(epoch() + settings().upload_ttl),
                UploadItem.lock_id.remove(),
                UploadItem.lock_until.remove(),
            ],
            condition=UploadItem.lock_id == holder,
        )
    except UpdateError as error:
        _release(item, holder)
        if condition_failed(error):  # held past LOCK_SECONDS and taken over: our work is void
            raise UploadOffsetConflict(
                "another request took over this upload; check its status and resume",
                repository=repo,
                upload_id=upload_id,
                offset=int(item.offset),
            ) from None
        raise
    except BaseException:
        _release(item, holder)
        raise
    _delete_keys(progress.consumed)
    return UploadState(upload_id, progress.offset)


def finish(repo: str, upload_id: str, data: bytes, start: int | None, digest: Digest) -> Finished:
    """PUT ?digest=: take the last chunk, verify the digest, store and link the blob.

    Each step can be repeated: a retry after a failure anywhere redoes the same work from
    the session's committed state and ends in the same place."""
    item, holder = _acquire(repo, upload_id, start)
    try:
        finished = _complete(repo, item, data, digest)
    except BaseException:
        _release(item, holder)
        raise
    try:
        item.delete(condition=UploadItem.lock_id == holder)
    except Exception:  # the TTL removes it; the blob is already linked
        pass
    return finished


def _complete(repo: str, item: UploadItem, data: bytes, digest: Digest) -> Finished:
    progress = _Progress.of(item)
    algorithm = digest.algorithm
    size = progress.offset + len(data)
    if algorithm == item.algorithm:
        hasher = new_hasher(algorithm, item.hash_state)
        hasher.update(data)
        actual = hasher.finalize()
    else:  # the session ran another hash: read what is staged back under this one
        from chalicelib.storage.staged_digest import staged_digest

        actual = staged_digest(progress.staging_keys(), data, algorithm)
    if actual != digest.hex:
        _discard(item)
        raise DigestInvalid(
            f"content has digest {algorithm}:{actual}, not {digest}; the upload is discarded",
            detail={"expected": str(digest), "actual": f"{algorithm}:{actual}", "size": size},
        )

    def write(key: str) -> None:
        if not progress.parts:
            body = _read_pending(progress.pending) + data if progress.pending else data
            blobs.write_bytes(key, digest, body)
        else:
            _assemble(progress, data, key)

    # An assembly is costly: look for the object first. The staging objects are deleted
    # only after the commit: `write` can still run again.
    blobs.commit(repo, digest, size, write, look_first=bool(progress.parts))
    _delete_keys(progress.staging_keys() + progress.consumed)
    return Finished(digest, size)


def _assemble(progress: _Progress, data: bytes, key: str) -> None:
    """Build the blob at `key` from the staging parts (copied server-side) and the tail."""
    tail = _read_pending(progress.pending) + data if progress.pending else data

    def fill(upload_id: str) -> list[dict[str, Any]]:
        parts = copy_parts(key, upload_id, [PartSource(p["key"]) for p in progress.parts])
        if tail:
            number = len(parts) + 1
            etag = aws.s3().upload_part(
                Bucket=settings().bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=tail
            )["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        return parts

    write_in_parts(key, fill)


def _discard(item: UploadItem) -> None:
    """Forget a session and its bytes (cancel, or a digest that did not match)."""
    _delete_keys(_Progress.of(item).staging_keys())
    with contextlib.suppress(Exception):
        item.delete()


def cancel(repo: str, upload_id: str) -> None:
    item = get_session(repo, upload_id)
    _discard(item)
