"""The sweep's S3 side: list what is stored, delete what the mark phase did not keep."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from chalicelib.config import settings
from chalicelib.storage import aws, s3_errors

BLOBS = "blobs/"
UPLOADS = "uploads/"
MANIFESTS = "manifests/"  # bodies of manifests too large for an item
DELETE_BATCH = 1000  # DeleteObjects' limit


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    size: int
    modified: datetime

    @property
    def digest(self) -> str:
        """`blobs/sha256/<hex>` -> `sha256:<hex>`."""
        _, algorithm, hex_ = self.key.split("/", 2)
        return f"{algorithm}:{hex_}"

    @property
    def upload_id(self) -> str:
        """`uploads/<id>/...` -> `<id>`."""
        return self.key.split("/", 2)[1]


class Lister:
    def __init__(self) -> None:
        self.calls = 0

    def objects(self, prefix: str) -> Iterator[Stored]:
        s3 = aws.s3()
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = s3.list_objects_v2(Bucket=settings().bucket, Prefix=prefix, **extra)
            self.calls += 1
            for entry in page.get("Contents", []):
                if entry["Key"].count("/") >= 2:
                    yield Stored(entry["Key"], int(entry["Size"]), entry["LastModified"])
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]


@dataclass(frozen=True, slots=True)
class Multipart:
    """An S3 multipart upload not completed: `uploads/<id>/...` of a direct-to-S3 session."""

    key: str
    upload: str
    initiated: datetime

    @property
    def upload_id(self) -> str:
        return self.key.split("/", 2)[1]


def multipart_uploads(lister: Lister, prefix: str) -> Iterator[Multipart]:
    """The multipart uploads in progress under `prefix` (ListMultipartUploads pages)."""
    s3 = aws.s3()
    marker: dict[str, str] = {}
    while True:
        page = s3.list_multipart_uploads(Bucket=settings().bucket, Prefix=prefix, **marker)
        lister.calls += 1
        for entry in page.get("Uploads", []):
            if entry["Key"].count("/") >= 2:
                yield Multipart(entry["Key"], entry["UploadId"], entry["Initiated"])
        if not page.get("IsTruncated"):
            return
        marker = {
            "KeyMarker": page["NextKeyMarker"],
            "UploadIdMarker": page["NextUploadIdMarker"],
        }


def abort(uploads: Iterable[Multipart]) -> tuple[int, list[str]]:
    """Abort each multipart upload; the calls made and the keys that failed."""
    s3 = aws.s3()
    calls, failed = 0, []
    for upload in uploads:
        calls += 1
        try:
            s3.abort_multipart_upload(
                Bucket=settings().bucket, Key=upload.key, UploadId=upload.upload
            )
        except Exception as error:
            if s3_errors.error_code(error) != "NoSuchUpload":
                failed.append(upload.key)
    return calls, failed


def delete(keys: Iterable[str]) -> tuple[int, list[str]]:
    """Delete `keys` (DeleteObjects, 1000 a call); returns the calls made and the failures."""
    s3 = aws.s3()
    batch: list[str] = []
    failed: list[str] = []
    calls = 0

    def flush() -> None:
        nonlocal calls
        if not batch:
            return
        result = s3.delete_objects(
            Bucket=settings().bucket,
            Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
        )
        calls += 1
        failed.extend(e["Key"] for e in result.get("Errors", []))
        batch.clear()

    for key in keys:
        batch.append(key)
        if len(batch) == DELETE_BATCH:
            flush()
    flush()
    return calls, failed
