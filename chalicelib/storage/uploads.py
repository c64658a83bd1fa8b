"""Blob upload sessions: chunks go to S3 as they arrive, the hash resumes across requests.

A session's bytes live in S3 as multipart parts of `uploads/<id>/data` once at least
5 MiB (S3's minimum part size) have gathered, and before that as small staging objects
listed in `pending`. The SHA-256/512 state travels in the session item between requests.

Concurrency: a request first takes the session's lock with a conditional write on the
offset it starts from; only the holder may move the session forward, and it commits with
a write conditioned on still holding the lock. So two requests on one session can never
both win, and a request that fails releases the lock and leaves the session as it was, so
the client's retry starts from the same state.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, new_hasher
from chalicelib.oci.errors import OCIError, RangeNotSatisfiable
from chalicelib.storage import aws, blobs
from chalicelib.storage.clock import epoch, now
from chalicelib.storage.models import UploadItem
from chalicelib.storage.transactions import condition_failed

MiB = 1024 * 1024
PART_MIN = 5 * MiB  # S3's smallest multipart part (except the last)
SINGLE_COPY_MAX = 5 * 1024 * MiB  # CopyObject's limit; larger blobs copy in parts
COPY_PART = 512 * MiB
LOCK_SECONDS = 120  # longest a request may hold a session before another may take over
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class Finished:
    digest: Digest
    size: int


def location(repo: str, upload_id: str) -> str:
    return f"/v2/{repo}/blobs/uploads/{upload_id}"


def _pk(upload_id: str) -> str:
    return f"U#{upload_id}"


def _unknown(upload_id: str) -> OCIError:
    return OCIError("BLOB_UPLOAD_UNKNOWN", f"upload {upload_id[:64]!r} is not known")


def _staging_key(upload_id: str) -> str:
    return f"uploads/{upload_id}/data"


def open_session(repo: str, algorithm: str) -> UploadItem:
    upload_id = uuid.uuid4().hex
    item = UploadItem(
        _pk(upload_id),
        "U",
        repository=repo,
        algorithm=algorithm,
        offset=0,
        created_at=now(),
        expires_at=epoch() + settings().upload_ttl,
    )
    item.save(condition=UploadItem.pk.does_not_exist())
    return item


def upload_id_of(item: UploadItem) -> str:
    return item.pk[2:]


def get_session(repo: str, upload_id: str) -> UploadItem:
    if not _ID.match(upload_id):
        raise _unknown(upload_id)
    try:
        item = UploadItem.get(_pk(upload_id), "U", consistent_read=True)
    except UploadItem.DoesNotExist:
        raise _unknown(upload_id) from None
    if item.repository != repo or item.expires_at < epoch():
        raise _unknown(upload_id)
    return item


def _acquire(repo: str, upload_id: str, start: int | None) -> tuple[UploadItem, str]:
    """Take the session's lock, starting at byte `start` (None: wherever the session is)."""
    if not _ID.match(upload_id):
        raise _unknown(upload_id)
    holder = uuid.uuid4().hex
    moment = epoch()
    item = UploadItem(_pk(upload_id), "U")
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
        current = get_session(repo, upload_id)  # raises BLOB_UPLOAD_UNKNOWN
        where = location(repo, upload_id)
        if start is not None and current.offset != start:
            raise RangeNotSatisfiable(
                f"chunk starts at {start} but the upload has {int(current.offset)} bytes",
                location=where,
                offset=int(current.offset),
            ) from None
        raise RangeNotSatisfiable(
            "another request is writing to this upload; retry after it finishes",
            location=where,
            offset=int(current.offset),
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
    multipart_id: str | None
    parts: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    consumed: list[str]  # staging objects folded into a part, to delete after commit

    @classmethod
    def of(cls, item: UploadItem) -> _Progress:
        return cls(
            upload_id=upload_id_of(item),
            offset=int(item.offset),
            multipart_id=item.multipart_id,
            parts=list(item.parts or []),
            pending=list(item.pending or []),
            consumed=[],
        )

    @property
    def pending_size(self) -> int:
        return sum(int(p["size"]) for p in self.pending)

    def flush_part(self, data: bytes) -> None:
        """Upload the pending bytes plus `data` as the next multipart part."""
        s3 = aws.s3()
        bucket = settings().bucket
        body = _read_pending(self.pending) + data if self.pending else data
        if self.multipart_id is None:
            self.multipart_id = s3.create_multipart_upload(
                Bucket=bucket, Key=_staging_key(self.upload_id)
            )["UploadId"]
        number = len(self.parts) + 1
        etag = s3.upload_part(
            Bucket=bucket,
            Key=_staging_key(self.upload_id),
            UploadId=self.multipart_id,
            PartNumber=number,
            Body=body,
        )["ETag"]
        self.parts.append({"n": number, "etag": etag, "size": len(body)})
        self.consumed.extend(p["key"] for p in self.pending)
        self.pending = []

    def stage(self, data: bytes, start: int) -> None:
        """Keep a chunk too small for a part in its own staging object."""
        key = f"uploads/{self.upload_id}/chunk-{start:016d}-{uuid.uuid4().hex[:8]}"
        aws.s3().put_object(Bucket=settings().bucket, Key=key, Body=data)
        self.pending.append({"key": key, "size": len(data)})

    def add(self, data: bytes) -> None:
        start = self.offset
        if self.pending_size + len(data) >= PART_MIN:
            self.flush_part(data)
        elif data:
            self.stage(data, start)
        self.offset += len(data)


def append(repo: str, upload_id: str, data: bytes, start: int | None) -> UploadItem:
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
                UploadItem.multipart_id.set(progress.multipart_id)
                if progress.multipart_id
                else UploadItem.multipart_id.remove(),
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
            raise RangeNotSatisfiable(
                "another request took over this upload; check its status and resume",
                location=location(repo, upload_id),
                offset=int(item.offset),
            ) from None
        raise
    except BaseException:
        _release(item, holder)
        raise
    _delete_keys(progress.consumed)
    return item


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
    algorithm = item.algorithm
    state: bytes | None = item.hash_state
    if digest.algorithm != algorithm:
        if progress.offset:
            raise OCIError(
                "DIGEST_INVALID",
                f"the upload was opened for {algorithm}; open it with "
                f"?digest-algorithm={digest.algorithm} to push a {digest.algorithm} digest",
            )
        algorithm, state = digest.algorithm, None
    hasher = new_hasher(algorithm, state)
    hasher.update(data)
    size = progress.offset + len(data)
    actual = hasher.finalize()
    if actual != digest.hex:
        _discard(item)
        raise OCIError(
            "DIGEST_INVALID",
            f"content has digest {algorithm}:{actual}, not {digest}; the upload is discarded",
            detail={"expected": str(digest), "actual": f"{algorithm}:{actual}", "size": size},
        )
    key = blobs.blob_key(digest)
    if not progress.parts:
        body = _read_pending(progress.pending) + data if progress.pending else data
        blobs.put_bytes(digest, body)
    elif blobs.stored_size(key) != size:
        # Content-addressed: an object at the blob's key was verified when it was written,
        # so a retry (or another repository's push of the same blob) need not assemble again.
        _assemble(progress, data, key, size)
    blobs.link(repo, digest, size, key)
    _delete_keys([p["key"] for p in progress.pending] + progress.consumed)
    _drop_staging(progress)
    return Finished(digest, size)


def _assemble(progress: _Progress, data: bytes, key: str, size: int) -> None:
    """Complete the multipart upload (unless a retry finds it done) and copy it to `key`."""
    staging = _staging_key(progress.upload_id)
    if blobs.stored_size(staging) != size:
        if data or progress.pending:
            progress.flush_part(data)
        aws.s3().complete_multipart_upload(
            Bucket=settings().bucket,
            Key=staging,
            UploadId=progress.multipart_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p["n"], "ETag": p["etag"]} for p in progress.parts]
            },
        )
        if blobs.stored_size(staging) != size:
            raise OCIError("BLOB_UPLOAD_INVALID", "the assembled upload has the wrong size")
    blobs.write_once(key, size, lambda: _copy(staging, key, size))


def _drop_staging(progress: _Progress) -> None:
    """Remove the assembled staging object, or abort a multipart upload never completed."""
    if progress.multipart_id is None:
        return
    _delete_keys([_staging_key(progress.upload_id)])
    try:
        aws.s3().abort_multipart_upload(
            Bucket=settings().bucket,
            Key=_staging_key(progress.upload_id),
            UploadId=progress.multipart_id,
        )
    except Exception:  # already completed, or gone: nothing to abort
        pass


def _copy(source: str, target: str, size: int) -> None:
    s3 = aws.s3()
    bucket = settings().bucket
    if size <= SINGLE_COPY_MAX:
        s3.copy_object(
            Bucket=bucket,
            Key=target,
            CopySource={"Bucket": bucket, "Key": source},
            IfNoneMatch="*",
        )
        return
    upload = s3.create_multipart_upload(Bucket=bucket, Key=target)["UploadId"]
    parts = []
    for number, first in enumerate(range(0, size, COPY_PART), start=1):
        last = min(first + COPY_PART, size) - 1
        result = s3.upload_part_copy(
            Bucket=bucket,
            Key=target,
            UploadId=upload,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": source},
            CopySourceRange=f"bytes={first}-{last}",
        )
        parts.append({"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key=target, UploadId=upload, MultipartUpload={"Parts": parts}
    )


def _discard(item: UploadItem) -> None:
    """Forget a session and its bytes (cancel, or a digest that did not match)."""
    progress = _Progress.of(item)
    if progress.multipart_id:
        try:
            aws.s3().abort_multipart_upload(
                Bucket=settings().bucket,
                Key=_staging_key(progress.upload_id),
                UploadId=progress.multipart_id,
            )
        except Exception:  # the bucket's lifecycle rule aborts it later
            pass
    _delete_keys([p["key"] for p in progress.pending])
    with contextlib.suppress(Exception):
        item.delete()


def cancel(repo: str, upload_id: str) -> None:
    item = get_session(repo, upload_id)
    _discard(item)
