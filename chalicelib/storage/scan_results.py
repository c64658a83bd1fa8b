"""Scan results per image digest: a small table item (status, severity counts, when, against
which advisory database) that a pull policy or a listing reads cheaply, and the full report
(findings, packages) as an S3 object, since findings of a big image pass DynamoDB's 400 KB."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import (
    BinaryAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

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
    # The advisory database version the findings hold for, and the packed index keys the
    # image's packages look up (chalicelib/scanning/key_hashes.py): what the rescan
    # after a database change reads to skip images the change cannot affect.
    database_version = NumberAttribute(null=True)
    index_keys = BinaryAttribute(legacy_encoding=False, null=True)


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
    database_version: int | None = None,
    index_keys: bytes | None = None,
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
        database_version=database_version,
        index_keys=index_keys,
    ).save()


@dataclass(frozen=True)
class Currency:
    """What the rescan needs of an image's last scan."""

    complete: bool
    database_version: int | None
    index_keys: bytes | None


def currencies(digests: list[str]) -> dict[str, Currency]:
    """The last scan of each digest that has one (BatchGetItem, 100 keys a call)."""
    found: dict[str, Currency] = {}
    for start in range(0, len(digests), 100):
        keys = [(scan_pk(d), SCAN_SK) for d in digests[start : start + 100]]
        for item in ScanResultItem.batch_get(
            keys,
            # Eventually consistent (half the read units): a result not yet seen, or seen
            # at an older version, only makes the walk rescan more, never less.
            consistent_read=False,
            attributes_to_get=["pk", "status", "database_version", "index_keys"],
        ):
            found[item.pk.removeprefix(scan_pk(""))] = Currency(
                item.status == "COMPLETE",
                int(item.database_version) if item.database_version is not None else None,
                item.index_keys,
            )
    return found


def mark_current(digest: Digest, version: int, updated_at: str | None, keys: bytes) -> None:
    """A rescan found the same findings: the result now holds for `version` (one write; the
    report, its referrers and the verdict stay as they are)."""
    moved = (
        ScanResultItem.database_updated_at.remove()
        if updated_at is None
        else ScanResultItem.database_updated_at.set(updated_at)
    )
    ScanResultItem(scan_pk(str(digest)), SCAN_SK).update(
        actions=[
            ScanResultItem.database_version.set(version),
            moved,
            ScanResultItem.index_keys.set(keys),
        ],
        condition=ScanResultItem.status == "COMPLETE",
    )


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
