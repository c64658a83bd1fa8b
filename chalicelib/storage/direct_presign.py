"""Presigned URLs for a direct-to-S3 session: the SHA-256 is signed into each, so S3 itself
refuses bytes other than the ones the client declared (presigning makes no AWS call)."""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings
from chalicelib.oci.s3_parts import checksum_of, hex_of
from chalicelib.storage import aws
from chalicelib.storage.clock import epoch
from chalicelib.storage.direct_session import plan_of
from chalicelib.storage.errors import UploadInvalid
from chalicelib.storage.models import DirectUploadItem


def _url_ttl(item: DirectUploadItem) -> int:
    return max(1, min(settings().upload_url_ttl, int(item.expires_at) - epoch()))


def single_put(item: DirectUploadItem) -> dict[str, Any]:
    """The presigned PUT of a single-PUT session: S3 refuses a body whose SHA-256 is not the
    digest, since the checksum header is signed (presigning makes no AWS call)."""
    if item.multipart_id is not None:
        raise UploadInvalid("this upload goes in parts: ask for part URLs")
    checksum = checksum_of(item.digest.partition(":")[2])
    params = {"Bucket": settings().bucket, "Key": item.key, **_checksum_params(checksum)}
    url = aws.presigner().generate_presigned_url(
        "put_object", Params=params, ExpiresIn=_url_ttl(item)
    )
    return {"method": "PUT", "url": url, "headers": _checksum_headers(checksum)}


def _checksum_params(checksum: str) -> dict[str, str]:
    # The algorithm header too: S3 needs only the checksum, but S3 stand-ins (moto) store a
    # checksum only when told its algorithm, and HeadObject should show what was signed.
    return {"ChecksumSHA256": checksum, "ChecksumAlgorithm": "SHA256"}


def _checksum_headers(checksum: str) -> dict[str, str]:
    return {"x-amz-checksum-sha256": checksum, "x-amz-sdk-checksum-algorithm": "SHA256"}


def part_puts(item: DirectUploadItem, wanted: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Presigned UploadPart URLs for parts (number, base64 SHA-256): each part's checksum is
    signed in, and S3 refuses other bytes for that part (the multipart upload was opened
    with SHA-256 checksums, so S3 wants one with every part, and in the completion)."""
    if item.multipart_id is None:
        raise UploadInvalid("this upload is one PUT: it has no parts")
    plan = plan_of(item)
    presigner = aws.presigner()
    ttl = _url_ttl(item)
    answer = []
    for number, checksum in wanted:
        if not 1 <= number <= plan.count:
            raise UploadInvalid(f"part {number} is not between 1 and {plan.count}")
        params: dict[str, Any] = {
            "Bucket": settings().bucket,
            "Key": item.key,
            "UploadId": item.multipart_id,
            "PartNumber": number,
        }
        if hex_of(checksum) is None:
            raise UploadInvalid(f"part {number}: {checksum[:60]!r} is not a SHA-256")
        params.update(_checksum_params(checksum))
        headers = _checksum_headers(checksum)
        url = presigner.generate_presigned_url("upload_part", Params=params, ExpiresIn=ttl)
        answer.append({"partNumber": number, "method": "PUT", "url": url, "headers": headers})
    return answer
