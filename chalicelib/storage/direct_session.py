"""A direct-to-S3 upload session (`U#<id>`/`S3`): opening it (with its S3 multipart upload
for blobs over the single-PUT limit, or streamed: multipart, its digest and size declared at
completion), finding it, and forgetting it with everything it holds in S3. The protocol as
a whole is told in storage/direct.py."""

from __future__ import annotations

import contextlib
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest
from chalicelib.oci.s3_parts import PART_MAX, PART_MIN, PARTS_MAX, PartPlan, plan_parts
from chalicelib.storage import aws, keys
from chalicelib.storage.clock import epoch, now
from chalicelib.storage.errors import DigestInvalid, SizeInvalid, StorageError, UploadInvalid
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.transactions import condition_failed
from chalicelib.storage.upload_sessions import live_session, new_upload_id, staging_prefix


def declared(item: DirectUploadItem) -> bool:
    """Whether the session knows its digest and size (a streamed one learns them at the end)."""
    return bool(item.digest)


def plan_of(item: DirectUploadItem) -> PartPlan:
    size, part = int(item.size), int(item.part_size)
    if not declared(item):
        return PartPlan(0, part, PARTS_MAX, True)  # any part number S3 takes, until completion
    if item.multipart_id is None:
        return PartPlan(size, size, 1, False)
    return PartPlan(size, part, max(1, -(-size // part)), True)  # an empty one: one part


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
    return _create(repo, str(digest), size, plan.part_size, multipart=plan.multipart)


def open_streamed(repo: str, part_size: int | None = None) -> DirectUploadItem:
    """A session for bytes whose digest and size the client learns only as it sends them
    (`berth proxy` relaying a stock client's streamed PATCH): an S3 multipart upload from the
    start, parts of `part_size` bytes (the last one smaller), the digest and size declared
    at completion and verified like any multipart upload's (composite checksum, re-hash)."""
    part = settings().s3_part_size if part_size is None else part_size
    if not PART_MIN <= part <= PART_MAX:
        raise SizeInvalid(f"partSize must be {PART_MIN} to {PART_MAX} bytes")
    return _create(repo, "", 0, part, multipart=True, streamed=True)


def _create(
    repo: str, digest: str, size: int, part_size: int, *, multipart: bool, streamed: bool = False
) -> DirectUploadItem:
    config = settings()
    upload_id = new_upload_id()
    key = f"{staging_prefix(upload_id)}blob"
    item = DirectUploadItem(
        keys.upload_pk(upload_id),
        keys.DIRECT_UPLOAD_SK,
        repository=repo,
        digest=digest,
        size=size,
        key=key,
        part_size=part_size,
        streamed=streamed or None,
        created_at=now(),
        expires_at=epoch() + config.upload_ttl,
    )
    item.save(condition=DirectUploadItem.pk.does_not_exist())
    if multipart:
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


def declare(item: DirectUploadItem, declaring: tuple[Digest, int] | None) -> None:
    """Record a streamed session's digest and size, once: a repeated completion (an answer
    lost, or still verifying) must declare the same, or it is refused."""
    if declaring is None:
        raise UploadInvalid("a streamed upload is completed with its digest and size")
    digest, size = declaring
    if digest.algorithm != "sha256":
        raise DigestInvalid("direct uploads take sha256 digests (S3's checksum)")
    largest = int(item.part_size) * PARTS_MAX
    if not 0 <= size <= largest:
        raise SizeInvalid(f"a streamed upload of these parts holds 0 to {largest}")
    if not declared(item):
        try:
            item.update(
                actions=[DirectUploadItem.digest.set(str(digest)), DirectUploadItem.size.set(size)],
                condition=(DirectUploadItem.digest == "") & DirectUploadItem.pk.exists(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            item.refresh(consistent_read=True)  # declared meanwhile, or gone
    if item.digest != str(digest) or int(item.size) != size:
        raise UploadInvalid(
            f"this upload was declared as {item.digest} of {int(item.size)} bytes",
        )


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
