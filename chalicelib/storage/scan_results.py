"""Scan results per image digest: a small table item (status, severity counts, when, against
which advisory database) that a pull policy or a listing reads cheaply, and the full report
(findings, packages) as an S3 object, since findings of a big image pass DynamoDB's 400 KB."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.config import settings
from chalicelib.oci.digest import Digest
from chalicelib.storage import aws
from chalicelib.storage.keys import SCAN_SK, scan_pk
from chalicelib.storage.models import _Item


class ScanResultItem(_Item):
    status = UnicodeAttribute()  # COMPLETE or FAILED
    scanned_at = UTCDateTimeAttribute()
    counts = UnicodeAttribute(default="{}")  # JSON: severity -> number of findings
    report_key = UnicodeAttribute(null=True)
    database_updated_at = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class StoredScan:
    digest: str
    status: str
    scanned_at: datetime
    counts: dict[str, int]
    database_updated_at: str | None
    description: str | None
    report_key: str | None


def report_key(digest: Digest) -> str:
    return f"scans/{digest.algorithm}/{digest.hex}.json"


def save(
    digest: Digest,
    status: str,
    scanned_at: datetime,
    counts: dict[str, int],
    report: dict[str, Any] | None,
    database_updated_at: str | None,
    description: str | None = None,
) -> None:
    """The report object first, then the item naming it: a reader that finds the item finds
    its report."""
    key = None
    if report is not None:
        key = report_key(digest)
        aws.s3().put_object(
            Bucket=settings().bucket,
            Key=key,
            Body=json.dumps(report, separators=(",", ":")).encode(),
            ContentType="application/json",
        )
    ScanResultItem(
        scan_pk(str(digest)),
        SCAN_SK,
        status=status,
        scanned_at=scanned_at,
        counts=json.dumps(counts, sort_keys=True),
        report_key=key,
        database_updated_at=database_updated_at,
        description=description,
    ).save()


def get(digest: Digest) -> StoredScan | None:
    try:
        item = ScanResultItem.get(scan_pk(str(digest)), SCAN_SK, consistent_read=True)
    except ScanResultItem.DoesNotExist:
        return None
    return StoredScan(
        digest=str(digest),
        status=item.status,
        scanned_at=item.scanned_at,
        counts={k: int(v) for k, v in json.loads(item.counts or "{}").items()},
        database_updated_at=item.database_updated_at,
        description=item.description,
        report_key=item.report_key,
    )


def report(stored: StoredScan) -> dict[str, Any] | None:
    if stored.report_key is None:
        return None
    try:
        body = aws.s3().get_object(Bucket=settings().bucket, Key=stored.report_key)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    document: dict[str, Any] = json.loads(body.read())
    return document
