"""Completing a session's S3 multipart upload from the part list the client sends, and
checking that the parts S3 assembled are the ones the client signed."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.s3_parts import hex_of, matches_composite
from chalicelib.storage import aws, blobs, s3_errors
from chalicelib.storage.direct_session import forget, plan_of, refuse
from chalicelib.storage.errors import DigestInvalid, UploadInvalid, UploadUnknown
from chalicelib.storage.models import DirectUploadItem
from chalicelib.storage.transactions import condition_failed
from chalicelib.storage.upload_sessions import unknown, upload_id_of


def assemble(item: DirectUploadItem, parts: list[dict[str, Any]] | None) -> None:
    """Complete the staging multipart upload from the client's (number, ETag) list."""
    plan = plan_of(item)
    if not parts:
        raise UploadInvalid(f"completion needs the {plan.count} parts' ETags")
    listed = []
    for expected, part in enumerate(parts, start=1):
        number, etag = part.get("partNumber"), part.get("etag")
        checksum = part.get("checksumSHA256")
        if number != expected or not isinstance(etag, str) or not isinstance(checksum, str):
            raise UploadInvalid(
                f"part {expected}: give partNumber {expected}, its etag and its checksumSHA256",
            )
        if hex_of(checksum) is None:
            raise UploadInvalid(f"part {expected}: {checksum[:60]!r} is not a SHA-256")
        listed.append({"PartNumber": number, "ETag": etag, "ChecksumSHA256": checksum})
    if len(listed) != plan.count:
        raise UploadInvalid(f"{len(listed)} parts listed, {plan.count} planned")
    try:
        aws.s3().complete_multipart_upload(
            Bucket=settings().bucket,
            Key=item.key,
            UploadId=item.multipart_id,
            MultipartUpload={"Parts": listed},
        )
    except ClientError as error:
        code = s3_errors.error_code(error)
        if code == "NoSuchUpload" and blobs.stored_size(item.key) is not None:
            pass  # completed by an earlier attempt whose answer was lost
        elif code == "NoSuchUpload":
            forget(item)
            raise UploadUnknown("the S3 multipart upload is gone") from None
        else:
            raise UploadInvalid(f"S3 refused the parts: {code}; upload them again") from None
    _check_parts(item, [part["ChecksumSHA256"] for part in listed])
    try:  # never an upsert: a session cancelled meanwhile stays gone
        item.update(
            actions=[DirectUploadItem.assembled.set(True)],
            condition=DirectUploadItem.pk.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise unknown(upload_id_of(item), "direct upload") from None
        raise


def _check_parts(item: DirectUploadItem, listed: list[str]) -> None:
    """The assembled object's composite checksum, as S3 computed it from the bytes each part
    received, must be the one the listed part checksums give. Re-hashing the whole object is
    not enough: parts that S3 filled by a server-side copy of another repository's blob hold
    that blob's bytes, so the object verifies, though the client never had them and signed
    other checksums (issue 11, D3). A client that uploaded its parts knows their checksums;
    one that did not cannot list them."""
    head = aws.s3().head_object(Bucket=settings().bucket, Key=item.key, ChecksumMode="ENABLED")
    stored = head.get("ChecksumSHA256")
    if stored is None or not matches_composite(str(stored), listed):
        raise refuse(
            item, DigestInvalid,
            "the parts S3 holds are not the bytes of the listed part checksums",
        )  # fmt: skip
