"""Build an object from other S3 objects server-side (UploadPartCopy), several parts at a
time, written once: both upload paths assemble a blob at its content address this way, so
its bytes never pass through the function."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chalicelib.config import settings
from chalicelib.storage import aws

WORKERS = 8  # copies in flight at once: each is one S3 call that moves up to gigabytes


@dataclass(frozen=True, slots=True)
class PartSource:
    """One part's bytes: the object at `key`, or `first`..`last` of it, copied only if its
    ETag is still `if_match`."""

    key: str
    first: int | None = None
    last: int | None = None
    if_match: str | None = None


def copy_parts(key: str, upload_id: str, sources: Sequence[PartSource]) -> list[dict[str, Any]]:
    """Copy `sources` into the multipart upload `upload_id` of `key` as parts 1, 2, ...;
    the part list its completion needs, in order."""
    s3 = aws.s3()
    bucket = settings().bucket

    def copy(numbered: tuple[int, PartSource]) -> dict[str, Any]:
        number, source = numbered
        call: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": number,
            "CopySource": {"Bucket": bucket, "Key": source.key},
        }
        if source.first is not None and source.last is not None:
            call["CopySourceRange"] = f"bytes={source.first}-{source.last}"
        if source.if_match is not None:
            call["CopySourceIfMatch"] = source.if_match
        result = s3.upload_part_copy(**call)
        return {"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]}

    numbered = list(enumerate(sources, start=1))
    if len(numbered) == 1:
        return [copy(numbered[0])]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(numbered))) as pool:
        return list(pool.map(copy, numbered))


def write_in_parts(key: str, fill: Callable[[str], list[dict[str, Any]]]) -> None:
    """Open a multipart upload at `key`, let `fill(upload_id)` upload its parts, complete it
    only if nothing is at `key` yet (If-None-Match), and abort it if any step fails."""
    s3 = aws.s3()
    bucket = settings().bucket
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    try:
        parts = fill(upload_id)
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )
    except BaseException:
        with contextlib.suppress(Exception):
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
