"""The incremental collection: re-check only the digests some delete released, so its cost
is proportional to what changed since the last run (the reasoning: chalicelib/gc/__init__.py).

Per candidate older than the grace period: a consistent Query of its index partition
`REF#<name>`; entries older than the grace period whose holder is gone (a consistent
GetItem) are stale and dropped. Unreferenced -> marker `condemned` -> the same Query again
-> claim -> delete -> `deleted` -> candidate removed. Referenced -> candidate removed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError

from chalicelib.config import settings
from chalicelib.gc import guard, sweep
from chalicelib.storage import aws, gc_refs, keys, s3_errors
from chalicelib.storage.models import (
    BlobLinkItem,
    GcCandidateItem,
    ManifestItem,
    ReferenceItem,
)
from chalicelib.storage.transactions import condition_failed


@dataclass(slots=True)
class Calls:
    dynamodb: int = 0
    s3: int = 0


def object_key(name: str) -> str:
    """A candidate's object: a digest's blob, or a large manifest's key as it is."""
    if name.startswith(sweep.MANIFESTS):
        return name
    algorithm, _, hex_ = name.partition(":")
    return f"{sweep.BLOBS}{algorithm}/{hex_}"


def _holder_exists(sk: str, name: str, calls: Calls) -> bool:
    calls.dynamodb += 1
    if sk.startswith(keys.LINK_REF_PREFIX):
        repo = keys.link_ref_repo(sk)
        model: type[BlobLinkItem] | type[ManifestItem] = BlobLinkItem
        hash_key, range_key = keys.repo_pk(repo), keys.link_sk(name)
    else:
        repo, manifest = keys.manifest_ref_parts(sk)
        model = ManifestItem
        hash_key, range_key = keys.repo_pk(repo), keys.manifest_sk(manifest)
    try:
        model.get(hash_key, range_key, consistent_read=True, attributes_to_get=["pk"])
    except model.DoesNotExist:
        return False
    return True


def referenced(name: str, cutoff: int, calls: Calls) -> bool:
    """Whether anything still holds `name`; drops stale entries (holder gone, entry older
    than the grace period: a manifest push writes its entries before its item)."""
    calls.dynamodb += 1
    entries = list(ReferenceItem.query(keys.ref_pk(name), consistent_read=True))
    for entry in entries:
        if entry.at >= cutoff or _holder_exists(entry.sk, name, calls):
            return True
        calls.dynamodb += 1
        try:
            entry.delete(condition=ReferenceItem.at == entry.at)
        except DeleteError as error:
            if condition_failed(error):
                return True  # written again meanwhile: held
            raise
    return False


def _stored(key: str, calls: Calls) -> sweep.Stored | None:
    calls.s3 += 1
    try:
        head = aws.s3().head_object(Bucket=settings().bucket, Key=key)
    except ClientError as error:
        if s3_errors.is_missing(error):
            return None
        raise
    return sweep.Stored(key, int(head["ContentLength"]), head["LastModified"])


@dataclass(slots=True)
class Outcome:
    deleted: list[sweep.Stored]
    spared: int
    waiting: list[tuple[str, int]]  # unreferenced, but younger than the grace period
    candidates: int
    complete: bool
    failed: list[str]
    # Released within the grace period and not yet checked: a release writes its candidate
    # before it removes the reference, so these may still be referenced (not "waiting").
    released: list[tuple[str, int]] = field(default_factory=list)


def collect(
    run: str, moment: datetime, grace: int, deadline: float, dry_run: bool, calls: Calls
) -> Outcome:
    cutoff = int((moment - timedelta(seconds=grace)).timestamp())
    found = gc_refs.candidates()  # (name, released_at)
    calls.dynamodb += keys.GC_CANDIDATE_SHARDS
    outcome = Outcome([], 0, [], len(found), True, [])
    for name, released_at in found:
        if time.monotonic() > deadline:
            outcome.complete = False
            return outcome
        if released_at >= cutoff:
            outcome.released.append((name, released_at))
            continue
        if referenced(name, cutoff, calls):
            _done(name, released_at, dry_run, calls)
            continue
        stored = _stored(object_key(name), calls)
        if stored is None:
            _done(name, released_at, dry_run, calls)
            continue
        if stored.modified >= datetime.fromtimestamp(cutoff, UTC):
            outcome.waiting.append((name, int(stored.modified.timestamp())))
            continue
        if dry_run:
            outcome.deleted.append(stored)
            continue
        result = _delete(name, stored, run, cutoff, calls, outcome)
        if result is not None:  # None: not settled, the next run tries again
            if result:
                outcome.deleted.append(stored)
            _done(name, released_at, dry_run, calls)
    return outcome


def _delete(
    name: str, stored: sweep.Stored, run: str, cutoff: int, calls: Calls, outcome: Outcome
) -> bool | None:
    """The marker protocol for one object: True if it was deleted, False if something holds
    it after all, None if this run could not settle it."""
    guard.condemn([name], run)
    calls.dynamodb += 1
    if referenced(name, cutoff, calls):  # after the marker: a link written before it is seen
        guard.release([name])
        calls.dynamodb += 1
        outcome.spared += 1
        return False
    claimed_at = time.monotonic()
    calls.dynamodb += 1
    if not guard.claim(name, run):
        outcome.spared += 1
        return False
    if time.monotonic() - claimed_at > guard.CLAIM_SECONDS:
        guard.release([name])  # too slow: a waiting push may have given up on us
        calls.dynamodb += 1
        outcome.complete = False
        return None
    deleted, failed = sweep.delete([stored.key])
    calls.s3 += deleted
    if failed:
        outcome.failed.extend(failed)
        return None
    guard.mark_deleted([name], run)
    calls.dynamodb += 1
    return True


def _done(name: str, released_at: int, dry_run: bool, calls: Calls) -> None:
    """Forget the candidate, unless it was released again since it was read."""
    if dry_run:
        return
    calls.dynamodb += 1
    try:
        GcCandidateItem(keys.gc_candidate_pk(name), name).delete(
            condition=GcCandidateItem.released_at == released_at
        )
    except DeleteError as error:
        if not condition_failed(error):
            raise
