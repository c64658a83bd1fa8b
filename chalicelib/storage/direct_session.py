"""A direct-to-S3 upload session (`U#<id>`/`S3`): opening it (with its S3 multipart upload
for blobs over the single-PUT limit), finding it, and forgetting it with everything it holds
in S3. The protocol as a whole is told in storage/direct.py."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.config import settings
from chalicelib.oci.digest import Digest
from chalicelib.oci.s3_parts import PartPlan, plan_parts
from chalicelib.storage import aws, keys
from chalicelib.storage.clock import epoch, now
from chalicelib.storage.errors import DigestInvalid, SizeInvalid, StorageError
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.upload_sessions import live_session, new_upload_id, staging_prefix


def plan_of(item: DirectUploadItem) -> PartPlan:
    size, part = int(item.size), int(item.part_size)
    if item.multipart_id is None:
        return PartPlan(size, size, 1, False)
    return PartPlan(size, part, -(-size // part), True)


def open_session(repo: str, digest: Digest, size: int) -> DirectUploadItem:
    """A new session for `size` bytes of `digest`: one PUT, or an S3 multipart upload (opened
    here, with SHA-256 part checksums) for blobs over the single-PUT limit."""
    if digest.algorithm != "sha256":
        raise DigestInvalid(
            "direct uploads take sha256 digests (S3's checksum); use the upload API for others",
        )
    config = settings()
    try:
        plan = plan_parts(
            size, single_put_max=config.s3_single_put_max, preferred=config.s3_part_size
        )
    except ValueError as error:
        raise SizeInvalid(str(error)) from None
    upload_id = new_upload_id()
    key = f"{staging_prefix(upload_id)}blob"
    item = DirectUploadItem(
        keys.upload_pk(upload_id),
        keys.DIRECT_UPLOAD_SK,
        repository=repo,
        digest=str(digest),
        size=size,
        key=key,
        part_size=plan.part_size,
        created_at=now(),
        expires_at=epoch() + config.upload_ttl,
    )
    item.save(condition=DirectUploadItem.pk.does_not_exist())
    if plan.multipart:
        # After the session item: a collection that lists this upload sees its session live
        # (garbage collection lists multipart uploads before it scans the table).
        multipart_id = None
        try:
            multipart_id = aws.s3().create_multipart_upload(
                Bucket=config.bucket, Key=key, ChecksumAlgorithm="SHA256"
            )["UploadId"]
            item.update(
                actions=[DirectUploadItem.multipart_id.set(multipart_id)],
                condition=DirectUploadItem.pk.exists(),
            )
        except BaseException:
            if multipart_id is not None:
                abort(key, multipart_id)
            with contextlib.suppress(Exception):
                item.delete()
            raise
    return item


def get_session(repo: str, upload_id: str) -> DirectUploadItem:
    """The live session `upload_id` of `repo`; UploadUnknown for another repository's
    (a session is bound to the repository it was opened in)."""
    return live_session(DirectUploadItem, keys.DIRECT_UPLOAD_SK, repo, upload_id)


def digest_of(item: DirectUploadItem) -> Digest:
    return Digest("sha256", item.digest.partition(":")[2])


def abort(key: str, multipart_id: str) -> None:
    with contextlib.suppress(Exception):
        aws.s3().abort_multipart_upload(Bucket=settings().bucket, Key=key, UploadId=multipart_id)


def forget(item: DirectUploadItem) -> None:
    """Delete the session's S3 state (multipart upload, staging object) and the session."""
    if item.multipart_id is not None and not item.assembled:
        abort(item.key, item.multipart_id)
    with contextlib.suppress(Exception):
        aws.s3().delete_object(Bucket=settings().bucket, Key=item.key)
    with contextlib.suppress(Exception):
        item.delete()


def refuse(
    item: DirectUploadItem, kind: type[StorageError], message: str, detail: Any = None
) -> StorageError:
    """The error for content that is not the blob, once the session is forgotten: nothing
    that failed verification stays behind to be completed later."""
    forget(item)
    return kind(f"{message}; the upload is discarded", detail=detail)
