"""The OSV sync: copy each ecosystem's `all.zip` export from a source bucket into the
registry's bucket when its ETag changed, rebuild that ecosystem's part of the per-package
index (writing only the keys whose advisories changed, deleting the keys that are gone), then
queue a rescan of every stored image. Run by a schedule in AWS (app.py `sync_advisories`) and
on demand through `POST /v2/_berth/vulndb/sync` (`berth vulndb sync`).

The source is OSV's public bucket by default, `osv-vulnerabilities` on Google Cloud Storage,
read anonymously through its S3-compatible XML API; `BERTH_OSV_SOURCE_BUCKET` with
`BERTH_OSV_SOURCE=s3` reads an S3 bucket instead (a mirror, or a test's), with the function's
role. An export that changes between the HEAD and the GET is left for the next run."""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws_session
from chalicelib.log import logger
from chalicelib.storage import aws, vulndb
from chalicelib.storage.clock import now

DEFAULT_BUCKET = "osv-vulnerabilities"
GCS_ENDPOINT = "https://storage.googleapis.com"
SOURCES = ("gcs", "s3")
# The ecosystems the scanner inventories and matches (chalicelib/scanning/package_ecosystem.py).
DEFAULT_ECOSYSTEMS = (
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "SUSE",
    "openSUSE",
    "Mageia",
    "openEuler",
    "Photon OS",
    "Wolfi",
    "Chainguard",
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "crates.io",
)
WRITERS = 16  # index objects written at once: a first Debian sync writes tens of thousands
SPOOL_BYTES = 64 * 1024**2  # an export larger than this waits on /tmp, not in memory


class SyncError(ValueError):
    """The request names no source this registry can read from."""


@dataclass(frozen=True)
class Source:
    bucket: str = DEFAULT_BUCKET
    kind: str = "gcs"  # gcs: anonymous, storage.googleapis.com; s3: AWS with the role
    ecosystems: tuple[str, ...] = DEFAULT_ECOSYSTEMS


@dataclass
class SyncReport:
    copied: list[str] = field(default_factory=list)  # ecosystems whose export changed
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # no export in the source
    written: int = 0  # index keys written
    deleted: int = 0
    problems: list[str] = field(default_factory=list)
    version: int | None = None  # the database's new version, when it changed
    rescan: bool = False

    def document(self) -> dict[str, Any]:
        return {
            "copied": self.copied,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "indexKeysWritten": self.written,
            "indexKeysDeleted": self.deleted,
            "problems": self.problems[:50],
            "version": self.version,
            "rescan": self.rescan,
        }


def configured() -> Source:
    env = os.environ
    bucket = env.get("BERTH_OSV_SOURCE_BUCKET") or DEFAULT_BUCKET
    kind = env.get("BERTH_OSV_SOURCE") or ("gcs" if bucket == DEFAULT_BUCKET else "s3")
    names = env.get("BERTH_OSV_ECOSYSTEMS")
    ecosystems = tuple(n.strip() for n in names.split(",") if n.strip()) if names else None
    return source(bucket, kind, ecosystems)


def source(bucket: str, kind: str, ecosystems: tuple[str, ...] | None = None) -> Source:
    """A checked source: a plain bucket name, one of SOURCES, ecosystems without '/'."""
    if not bucket or len(bucket) > 63 or not all(c.isalnum() or c in "-._" for c in bucket):
        raise SyncError(f"{bucket!r} is not a bucket name")
    if kind not in SOURCES:
        raise SyncError(f"the source is one of {', '.join(SOURCES)}, not {kind!r}")
    chosen = ecosystems or DEFAULT_ECOSYSTEMS
    for name in chosen:
        if not name or "/" in name or len(name) > 64:
            raise SyncError(f"{name!r} is not an OSV ecosystem name")
    return Source(bucket, kind, tuple(chosen))


def _client(source: Source) -> Any:
    if source.kind == "s3":
        return aws.s3()
    from botocore import UNSIGNED
    from botocore.config import Config

    return aws_session.create_client(
        "s3",
        endpoint_url=GCS_ENDPOINT,
        region_name="auto",
        config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}),
    )


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _changed_meanwhile(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("412", "PreconditionFailed")


def sync(chosen: Source | None = None, *, start_rescan: bool = True) -> SyncReport:
    """Sync every ecosystem of the source; if any changed, bump the database and rescan."""
    chosen = chosen or configured()
    client = _client(chosen)
    report = SyncReport()
    for ecosystem in chosen.ecosystems:
        changed = _sync_one(client, chosen.bucket, ecosystem, report)
        if changed is not None:  # each ecosystem's change is recorded as it lands
            report.version = int(vulndb.bump(*changed)["version"])
    current = vulndb.state()
    if start_rescan and current.get("rescanPending"):  # this run's, or one a failure left
        from chalicelib.scanner import rescan

        version = int(current["version"])
        rescan.start(version)
        vulndb.rescan_queued(version)
        report.version, report.rescan = version, True
    return report


def _sync_one(
    client: Any, bucket: str, ecosystem: str, report: SyncReport
) -> tuple[int, int, list[str]] | None:
    """(advisories delta, index keys delta, the index keys written or deleted) if the export
    changed and was indexed."""
    from chalicelib.scanning.osv_export import ExportTally, body_hash, export_bodies

    key = f"{ecosystem}/all.zip"
    try:
        etag = str(client.head_object(Bucket=bucket, Key=key)["ETag"])
    except ClientError as error:
        if _missing(error):
            report.missing.append(ecosystem)
            return None
        raise
    before = vulndb.source_state(ecosystem)
    if before.get("etag") == etag:
        report.unchanged.append(ecosystem)
        return None
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        try:
            body = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
        except ClientError as error:
            if _changed_meanwhile(error):
                report.problems.append(f"{ecosystem}: changed while read; next run")
                return None
            raise
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            spool.write(chunk)
        spool.seek(0)
        aws.s3().put_object(  # one PUT: S3 takes 5 GB, OSV's largest export is far less
            Bucket=_bucket(),
            Key=vulndb.export_key(ecosystem),
            Body=spool,
            ContentType="application/zip",
        )
        spool.seek(0)
        old: dict[str, str] = dict(before.get("keys") or {})
        hashes: dict[str, str] = {}
        tally = ExportTally()
        written = 0
        changed_keys: list[str] = []
        started = time.perf_counter()
        with ThreadPoolExecutor(WRITERS) as pool:
            # One partition of the index at a time (osv_export.py): memory stays bounded.
            for part in export_bodies(spool, ecosystem, tally):
                writes = []
                for key, indexed in part:
                    hashes[key] = body_hash(indexed)
                    if old.get(key) != hashes[key]:
                        writes.append((key, indexed))
                list(pool.map(lambda pair: vulndb.put_index_body(*pair), writes))
                written += len(writes)
                changed_keys.extend(key for key, _ in writes)
    gone = sorted(set(old) - set(hashes))
    changed_keys.extend(gone)
    vulndb.delete_index_keys(gone)
    vulndb.save_source_state(
        ecosystem,
        {
            "etag": etag,
            "keys": hashes,
            "advisories": len(tally.ids),
            "syncedAt": now().isoformat(),
        },
    )
    report.copied.append(ecosystem)
    report.written += written
    report.deleted += len(gone)
    report.problems += [f"{ecosystem}: unreadable record {name}" for name in tally.problems]
    logger.info(
        "osv export synced",
        extra={
            "fields": {
                "ecosystem": ecosystem,
                "advisories": len(tally.ids),
                "written": written,
                "deleted": len(gone),
                "seconds": round(time.perf_counter() - started, 3),
            }
        },
    )
    added_keys = len(set(hashes) - set(old)) - len(gone)
    return len(tally.ids) - int(before.get("advisories") or 0), added_keys, changed_keys


def _bucket() -> str:
    from chalicelib.config import settings

    return settings().bucket


def scheduled() -> None:
    """The schedule's entry point: a failure raises, and the next run tries again."""
    report = sync()
    logger.info("osv sync", extra={"fields": report.document()})
