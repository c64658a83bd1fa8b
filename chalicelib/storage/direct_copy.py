"""Copying a verified direct upload to the blob's content address, server-side and written
once, each piece conditioned on the ETag that was verified."""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings
from chalicelib.oci.s3_parts import SINGLE_PUT_MAX
from chalicelib.storage import aws, blobs
from chalicelib.storage.direct_session import digest_of
from chalicelib.storage.errors import UploadInvalid
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.part_copy import PartSource, copy_parts, write_in_parts

MiB = 1024 * 1024
COPY_PART_MIN = 256 * MiB  # server-side copies: few, large parts, several at a time


def copy_verified(item: DirectUploadItem, etag: str, key: str) -> None:
    """Copy the verified staging object to `key` server-side, written once (If-None-Match),
    each part conditioned on the ETag that was verified."""
    s3 = aws.s3()
    bucket = settings().bucket
    size = int(item.size)
    if size == 0:
        blobs.put_bytes(digest_of(item), b"")
        return
    if size <= SINGLE_PUT_MAX:
        # One server-side copy; S3 computes the full object's SHA-256 on the way.
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": item.key},
            CopySourceIfMatch=etag,
            IfNoneMatch="*",
            ChecksumAlgorithm="SHA256",
        )
        _check_unchanged(item, etag, written=key)
        return
    part = max(COPY_PART_MIN, -(-size // 10_000))
    pieces = [
        PartSource(item.key, start, min(size, start + part) - 1, if_match=etag)
        for start in range(0, size, part)
    ]

    def fill(upload_id: str) -> list[dict[str, Any]]:
        copied = copy_parts(key, upload_id, pieces)
        _check_unchanged(item, etag)
        return copied

    write_in_parts(key, fill)


def _check_unchanged(item: DirectUploadItem, etag: str, written: str | None = None) -> None:
    """Not every S3 stand-in honours CopySourceIfMatch or a copy's If-None-Match (moto honours
    neither): look at the staging object once more. If it changed since it was verified, what
    was copied to `written` (the content address, not linked yet) may be other bytes: delete
    it and refuse. (Real S3 refuses the copy itself; there, this look never fails.)"""
    s3 = aws.s3()
    bucket = settings().bucket
    if str(s3.head_object(Bucket=bucket, Key=item.key)["ETag"]) == etag:
        return
    if written is not None:
        s3.delete_object(Bucket=bucket, Key=written)
    raise UploadInvalid("the upload changed while it was copied; complete again")
