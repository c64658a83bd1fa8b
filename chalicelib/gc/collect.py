"""One garbage collection: mark, condemn, mark again, sweep; reports what it reclaimed."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib.config import settings
from chalicelib.gc import guard, incremental, mark, reindex, sweep
from chalicelib.log import logger
from chalicelib.storage import keys
from chalicelib.storage.clock import now as clock_now
from chalicelib.storage.models import UploadItem

GRACE_SECONDS = 3600  # no push takes this long between writing an object and linking it
CLAIM_CHUNK = 100


@dataclass(slots=True)
class Report:
    dry_run: bool
    complete: bool = True
    busy: bool = False  # another collection holds the lease: nothing was done
    blobs: int = 0  # deleted (or, in a dry run, that would be)
    blob_bytes: int = 0
    spared: int = 0  # candidates a push claimed during the collection
    manifests: int = 0  # large-manifest objects `manifests/...` no manifest item names
    manifest_bytes: int = 0
    staging: int = 0
    staging_bytes: int = 0
    sessions: int = 0
    multipart: int = 0  # multipart uploads of dead direct-to-S3 sessions, aborted
    failed: list[str] = field(default_factory=list)
    # Unreferenced blobs and manifest objects still inside the grace period: what a run right
    # after a lifecycle run or a delete leaves, and when the first of them becomes collectable.
    waiting: int = 0
    waiting_bytes: int = 0
    released: int = 0  # incremental: released in the grace period, checked after it
    collectable_at: datetime | None = None
    grace: int = GRACE_SECONDS
    calls: dict[str, int] = field(default_factory=lambda: {"dynamodb": 0, "s3": 0})
    stats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    mode: str = "full"  # or "incremental" (chalicelib/gc/incremental.py)

    def document(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "complete": self.complete,
            "busy": self.busy,
            "blobs": {"deleted": self.blobs, "bytes": self.blob_bytes, "spared": self.spared},
            "manifests": {"deleted": self.manifests, "bytes": self.manifest_bytes},
            "staging": {"deleted": self.staging, "bytes": self.staging_bytes},
            "sessions": {"deleted": self.sessions},
            "multipartUploads": {"aborted": self.multipart},
            "waiting": {
                "objects": self.waiting,
                "bytes": self.waiting_bytes,
                "graceSeconds": self.grace,
                "collectableAt": self.collectable_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                if self.collectable_at
                else None,
                "recentlyReleased": self.released,
            },
            "reclaimedBytes": self.blob_bytes + self.manifest_bytes + self.staging_bytes,
            "failed": self.failed[:100],
            "calls": self.calls,
            "stats": self.stats,
            "seconds": round(self.seconds, 3),
            "mode": self.mode,
        }


def collect(
    *,
    dry_run: bool = False,
    grace: int = GRACE_SECONDS,
    budget: float = 600.0,
    now: datetime | None = None,
    full: bool | None = None,
) -> Report:
    """Collect garbage older than `grace` seconds; stop starting new work after `budget`
    seconds (an interrupted run is safe: the next one finishes it).

    `full`: scan the whole table and list every object (the safety net, and the only way
    until the reference index is complete); False: only what deletes released since the
    last run (chalicelib/gc/incremental.py); None: incremental once the index is complete."""
    started = time.monotonic()
    moment = now or clock_now()
    report = Report(dry_run=dry_run)
    run = uuid.uuid4().hex
    if not dry_run:
        report.calls["dynamodb"] += 1
        if not guard.acquire_lease(run):
            report.busy = True
            report.complete = False
            return report
    try:
        if full is None:
            report.calls["dynamodb"] += 1
            full = not reindex.complete()
        report.mode = "full" if full else "incremental"
        if full:
            _collect(report, run, moment, grace, started + budget)
        else:
            _collect_incremental(report, run, moment, grace, started + budget)
    finally:
        if not dry_run:
            guard.release_lease(run)
            report.calls["dynamodb"] += 1
        report.seconds = time.monotonic() - started
    return report


def _collect(report: Report, run: str, moment: datetime, grace: int, deadline: float) -> None:
    cutoff = moment - timedelta(seconds=grace)
    lister = sweep.Lister()
    # Listed before the scan: a direct-to-S3 session's item is written before its multipart
    # upload is created, so every upload listed here has its session in the scan if it lives
    # (S3's `Initiated` cannot help: moto dates every upload 2010).
    opened = list(sweep.multipart_uploads(lister, sweep.UPLOADS))
    marks = mark.scan()
    unreferenced = [o for o in lister.objects(sweep.BLOBS) if o.digest not in marks.referenced]
    # Large manifests' objects go through the same markers, named by their key (which
    # cannot be mistaken for a digest); the pusher's side is storage/manifests.py.
    unreferenced_manifests = [
        o for o in lister.objects(sweep.MANIFESTS) if o.key not in marks.manifest_keys
    ]
    candidates = {o.digest: o for o in unreferenced if o.modified < cutoff}
    candidates.update((o.key, o) for o in unreferenced_manifests if o.modified < cutoff)
    young = [o for o in [*unreferenced, *unreferenced_manifests] if o.modified >= cutoff]
    report.grace = grace
    report.waiting = len(young)
    report.waiting_bytes = sum(o.size for o in young)
    if young:
        report.collectable_at = min(o.modified for o in young) + timedelta(seconds=grace)
    # A session is dead once it expired more than `grace` ago: a request that took its lock
    # just before it expired may still commit (and extend it) for LOCK_SECONDS after.
    dead_after = int(cutoff.timestamp())
    live = {u for u, expires in marks.sessions.items() if expires >= dead_after}
    staging = [
        o for o in lister.objects(sweep.UPLOADS) if o.modified < cutoff and o.upload_id not in live
    ]
    multipart = [m for m in opened if m.upload_id not in live]
    dead = {u: e for u, e in marks.sessions.items() if e < dead_after}
    report.stats = {
        "items": marks.items,
        "links": marks.links,
        "manifests": marks.manifests,
        "referenced": len(marks.referenced),
        "candidates": len(candidates),
    }
    report.calls["dynamodb"] += marks.calls
    report.calls["s3"] += lister.calls
    if report.dry_run:
        _count(report, list(candidates.values()))
        report.staging = len(staging)
        report.staging_bytes = sum(o.size for o in staging)
        report.sessions = len(dead)
        report.multipart = len(multipart)
        return
    _sweep_blobs(report, run, candidates, deadline)
    _sweep_staging(report, staging, dead, marks.session_kinds)
    calls, failed = sweep.abort(multipart)
    report.calls["s3"] += calls
    report.failed.extend(failed)
    report.multipart = len(multipart) - len(failed)


def _sweep_blobs(
    report: Report, run: str, candidates: dict[str, sweep.Stored], deadline: float
) -> None:
    if not candidates:
        return
    guard.condemn(candidates, run)
    report.calls["dynamodb"] += -(-len(candidates) // 25)
    again = mark.scan()  # after the markers: a link written before it is seen here
    report.calls["dynamodb"] += again.calls
    kept = again.referenced | again.manifest_keys
    spared = [d for d in candidates if d in kept]
    guard.release(spared)
    report.calls["dynamodb"] += -(-len(spared) // 25)
    doomed = [d for d in candidates if d not in kept]
    for start in range(0, len(doomed), CLAIM_CHUNK):
        chunk = doomed[start : start + CLAIM_CHUNK]
        if time.monotonic() > deadline:
            report.complete = False
            guard.release(doomed[start:])
            return
        claimed_at = time.monotonic()
        claimed = [d for d in chunk if guard.claim(d, run)]
        report.calls["dynamodb"] += len(chunk)
        report.spared += len(chunk) - len(claimed)
        if time.monotonic() - claimed_at > guard.CLAIM_SECONDS:
            guard.release(claimed)  # too slow: a waiting push may have given up on us
            report.complete = False
            continue
        calls, failed = sweep.delete(candidates[d].key for d in claimed)
        report.calls["s3"] += calls
        report.failed.extend(failed)
        gone = [d for d in claimed if candidates[d].key not in set(failed)]
        guard.mark_deleted(gone, run)
        report.calls["dynamodb"] += -(-len(gone) // 25)
        _count(report, [candidates[d] for d in gone])
    report.spared += len(spared)


def _collect_incremental(
    report: Report, run: str, moment: datetime, grace: int, deadline: float
) -> None:
    calls = incremental.Calls()
    outcome = incremental.collect(run, moment, grace, deadline, report.dry_run, calls)
    report.grace = grace
    report.complete = outcome.complete
    report.spared = outcome.spared
    report.failed.extend(outcome.failed)
    report.waiting = len(outcome.waiting)
    report.released = len(outcome.released)
    if outcome.waiting or outcome.released:
        first = min(at for _, at in [*outcome.waiting, *outcome.released])
        report.collectable_at = datetime.fromtimestamp(first, UTC) + timedelta(seconds=grace)
    _count(report, outcome.deleted)
    report.stats = {"candidates": outcome.candidates}
    report.calls["dynamodb"] += calls.dynamodb
    report.calls["s3"] += calls.s3
    _collect_staging(report, moment, grace)


def _collect_staging(report: Report, moment: datetime, grace: int) -> None:
    """Staging and sessions without the table scan: list what is in flight under uploads/
    and read only those sessions (one BatchGetItem per 50 sessions)."""
    cutoff = moment - timedelta(seconds=grace)
    lister = sweep.Lister()
    opened = list(sweep.multipart_uploads(lister, sweep.UPLOADS))
    objects = list(lister.objects(sweep.UPLOADS))
    ids = sorted({o.upload_id for o in objects} | {m.upload_id for m in opened})
    report.calls["s3"] += lister.calls
    sessions: dict[str, int] = {}
    kinds: dict[str, str] = {}
    wanted = [
        (keys.upload_pk(u), kind) for u in ids for kind in (keys.UPLOAD_SK, keys.DIRECT_UPLOAD_SK)
    ]
    for start in range(0, len(wanted), 100):
        report.calls["dynamodb"] += 1
        for item in UploadItem.batch_get(wanted[start : start + 100], consistent_read=True):
            upload_id = keys.upload_id_of(item.pk)
            sessions[upload_id] = int(item.expires_at)
            kinds[upload_id] = item.sk
    dead_after = int(cutoff.timestamp())
    live = {u for u, expires in sessions.items() if expires >= dead_after}
    staging = [o for o in objects if o.modified < cutoff and o.upload_id not in live]
    multipart = [m for m in opened if m.upload_id not in live]
    dead = {u: e for u, e in sessions.items() if e < dead_after}
    if report.dry_run:
        report.staging = len(staging)
        report.staging_bytes = sum(o.size for o in staging)
        report.sessions = len(dead)
        report.multipart = len(multipart)
        return
    _sweep_staging(report, staging, dead, kinds)
    calls, failed = sweep.abort(multipart)
    report.calls["s3"] += calls
    report.failed.extend(failed)
    report.multipart = len(multipart) - len(failed)


def _count(report: Report, deleted: list[sweep.Stored]) -> None:
    for stored in deleted:
        if stored.key.startswith(sweep.MANIFESTS):
            report.manifests += 1
            report.manifest_bytes += stored.size
        else:
            report.blobs += 1
            report.blob_bytes += stored.size


def _sweep_staging(
    report: Report, staging: list[sweep.Stored], dead: dict[str, int], kinds: dict[str, str]
) -> None:
    calls, failed = sweep.delete(o.key for o in staging)
    report.calls["s3"] += calls
    report.failed.extend(failed)
    gone = [o for o in staging if o.key not in set(failed)]
    report.staging += len(gone)
    report.staging_bytes += sum(o.size for o in gone)
    for upload_id, expires in dead.items():
        report.calls["dynamodb"] += 1
        try:  # only if no request extended it since the scan
            item = UploadItem(keys.upload_pk(upload_id), kinds.get(upload_id, keys.UPLOAD_SK))
            item.delete(condition=UploadItem.expires_at == expires)
        except DeleteError:
            continue
        report.sessions += 1


def scheduled() -> Report:
    """The hourly run: a Lambda of the default timeout gets a budget well inside it. A
    standby region collects nothing: its deletions would race the primary's pushes across
    regions, where the GC fence's conditional writes do not reach (docs/regions.md)."""
    if settings().standby:
        logger.info("garbage collection skipped: standby region")
        return Report(dry_run=False)
    report = collect(budget=40.0)
    logger.info("garbage collection", extra={"fields": {"gc": report.document()}})
    return report
