"""Verifying a direct upload's bytes: their size always; their SHA-256 by the checksum S3
stored where S3 enforces it, else by re-reading the object, resumably, within each request's
time budget (the hash state is saved in the session between requests)."""

from __future__ import annotations

import contextlib
import time

from botocore.exceptions import ClientError, FlexibleChecksumError
from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, new_hasher
from chalicelib.oci.s3_parts import hex_of
from chalicelib.storage import aws, s3_errors
from chalicelib.storage.clock import epoch
from chalicelib.storage.direct_session import refuse
from chalicelib.storage.errors import DigestInvalid, SizeInvalid, UploadInvalid
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.transactions import condition_failed

MiB = 1024 * 1024
READ_PIECE = 8 * MiB


def verify(item: DirectUploadItem, digest: Digest, deadline: float) -> str | None:
    """The ETag of the verified staging object; None if the time budget ran out first (the
    hash state is saved); raises (and discards the upload) if the content is not the blob."""
    s3 = aws.s3()
    bucket = settings().bucket
    try:
        head = s3.head_object(Bucket=bucket, Key=item.key, ChecksumMode="ENABLED")
    except ClientError as error:
        if s3_errors.is_missing(error):
            raise UploadInvalid("nothing has been uploaded to this session's URL yet") from None
        raise
    size, etag = int(head["ContentLength"]), str(head["ETag"])
    if size != int(item.size):
        raise refuse(
            item, SizeInvalid, f"{size} bytes were uploaded, not {int(item.size)}",
            detail={"declared": int(item.size), "uploaded": size},
        )  # fmt: skip
    stored = head.get("ChecksumSHA256")
    if settings().s3_enforces_checksums and item.multipart_id is None and stored:
        found = hex_of(str(stored))
        if found is not None:
            if found != digest.hex:
                raise refuse(item, DigestInvalid, f"S3 holds sha256:{found}, not {digest}")
            return etag
    return _rehash(item, digest, etag, deadline)


def _rehash(item: DirectUploadItem, digest: Digest, etag: str, deadline: float) -> str | None:
    """Hash the staging object from where the last request stopped until `deadline`. A
    request that reads the last byte after its deadline saves the finished state and leaves
    the copy to the next one, so no request runs much past the budget."""
    same = item.etag == etag and item.hash_state is not None
    offset = int(item.verified or 0) if same else 0
    hasher = new_hasher("sha256", item.hash_state if same else None)
    size = int(item.size)
    if offset < size:
        try:
            body = aws.s3().get_object(
                Bucket=settings().bucket,
                Key=item.key,
                Range=f"bytes={offset}-{size - 1}",
                IfMatch=etag,
            )["Body"]
        except ClientError as error:
            if s3_errors.error_code(error) == "PreconditionFailed":
                raise UploadInvalid(
                    "the upload changed while it was read; complete again"
                ) from None
            raise
        try:
            with contextlib.closing(body):
                for piece in body.iter_chunks(READ_PIECE):
                    hasher.update(piece)
                    offset += len(piece)
                    if time.monotonic() > deadline and offset < size:
                        break
        except FlexibleChecksumError:
            # botocore checks a whole object read against the checksum stored with it (the
            # signed one, the digest's): the bytes are not those.
            raise refuse(item, DigestInvalid, f"content is not {digest}") from None
    late = time.monotonic() > deadline and not (same and item.verified == size)
    if offset < size or late:
        _save_progress(item, etag, offset, hasher.serialize())
        return None
    actual = hasher.finalize()
    if actual != digest.hex:
        raise refuse(
            item, DigestInvalid, f"content has digest sha256:{actual}, not {digest}",
            detail={"expected": str(digest), "actual": f"sha256:{actual}"},
        )  # fmt: skip
    return etag


def _save_progress(item: DirectUploadItem, etag: str, offset: int, state: bytes) -> None:
    before = item.verified
    condition = (
        DirectUploadItem.verified.does_not_exist()
        if before is None
        else DirectUploadItem.verified == before
    )
    try:
        item.update(
            actions=[
                DirectUploadItem.etag.set(etag),
                DirectUploadItem.verified.set(offset),
                DirectUploadItem.hash_state.set(state),
                DirectUploadItem.expires_at.set(epoch() + settings().upload_ttl),
            ],
            condition=condition & DirectUploadItem.pk.exists(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise  # else another request moved it on meanwhile: its state stands
