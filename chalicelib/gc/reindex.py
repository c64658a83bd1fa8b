"""The one-time backfill of garbage collection's reference index, for tables written before
it existed: a consistent scan writes the entry of every link and manifest, then the index
marker `GC`/`index` says the incremental collector may rely on it.

Entries it writes carry `at = 0`: their holders were committed when the scan read them, so
the collector may check them against their holder at once (a holder deleted since the scan
makes its entry stale, and the delete's candidate brings the collector to it).

Resumable in chunks: a table too large for one call (a 29 s request, Lambda's 15 minutes)
is backfilled by calling again. After each page's entries are written, the scan's
LastEvaluatedKey is saved in `GC`/`reindex`; the next call reads it and goes on from there,
and the last page removes it and writes the marker. A call that stopped anywhere (even
between a page's entries and its cursor) loses nothing: the page is scanned again and its
entries, written again, are the same. The items a chunked scan passes over while pushes go
on need nothing more than a single scan's: a link or manifest committed since is indexed by
its own write (the index-writing code is deployed first). Each call takes the cursor over
with a token of its own and saves it only while it holds it, so of two calls at once the
later goes on and the earlier stops."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.storage import gc_refs, keys, raw_items
from chalicelib.storage.models import GcIndexItem, GcReindexItem, ReferenceItem
from chalicelib.storage.raw_items import LinkRow, ManifestRow, Raw
from chalicelib.storage.transactions import condition_failed

VERSION = 1


@dataclass(slots=True)
class Reindexed:
    """What one call indexed, and whether the backfill is complete after it."""

    links: int = 0
    manifests: int = 0
    entries: int = 0
    items: int = 0
    scan_calls: int = 0
    complete: bool = False
    resumed: bool = False  # it went on from where an earlier call stopped


def complete() -> bool:
    """Whether the index covers every item (one consistent GetItem)."""
    try:
        item = GcIndexItem.get(keys.GC_LEASE_PK, keys.GC_INDEX_SK, consistent_read=True)
    except GcIndexItem.DoesNotExist:
        return False
    return int(item.version) >= VERSION


def reindex(page_size: int | None = None, budget: float | None = None) -> Reindexed:
    """Index every link and manifest from where the last unfinished call stopped; start no
    new page after `budget` seconds (None: go to the end), though at least one page is done
    per call. Safe to run again and to interrupt anywhere (entries are idempotent)."""
    started = time.monotonic()
    run = uuid.uuid4().hex
    start = _take_over(run)
    done = Reindexed(resumed=start is not None)
    attributes = ["pk", "sk", "blobs", "s3_key"]
    for page, after in raw_items.scan_from(attributes, start, page_size=page_size):
        done.scan_calls += 1
        _index(page, done)  # written (the batch flushed) before the cursor moves past it
        if after is None:
            break
        if not _advance(run, after):
            return done  # another call took the cursor over: it goes on
        if budget is not None and time.monotonic() - started > budget:
            return done
    GcIndexItem(keys.GC_LEASE_PK, keys.GC_INDEX_SK, version=VERSION).save()
    _finish(run)
    done.complete = True
    return done


def _index(page: list[Raw], done: Reindexed) -> None:
    with ReferenceItem.batch_write() as batch:
        for item in page:
            done.items += 1
            row = raw_items.decode(item)
            if isinstance(row, LinkRow):
                done.links += 1
                repo = keys.repo_of(item["pk"]["S"])
                entries = [(row.digest, keys.link_ref_sk(repo))]
            elif isinstance(row, ManifestRow):
                done.manifests += 1
                repo = keys.repo_of(item["pk"]["S"])
                sk = keys.manifest_ref_sk(repo, row.digest)
                entries = [(n, sk) for n in gc_refs.manifest_names(row.blobs, row.s3_key)]
            else:
                continue
            for name, sk in entries:
                done.entries += 1
                batch.save(ReferenceItem(keys.ref_pk(name), sk, at=0))


def _take_over(run: str) -> Raw | None:
    """The saved cursor (None: start from the beginning), now held by `run`."""
    try:
        saved = GcReindexItem.get(keys.GC_LEASE_PK, keys.GC_REINDEX_SK, consistent_read=True)
    except GcReindexItem.DoesNotExist:
        saved = GcReindexItem(keys.GC_LEASE_PK, keys.GC_REINDEX_SK)
    saved.run = run
    saved.save()
    cursor: Raw | None = json.loads(saved.cursor) if saved.cursor else None
    return cursor


def _advance(run: str, after: Raw) -> bool:
    """Save the cursor past a page whose entries are written; False if `run` lost it."""
    try:
        GcReindexItem(keys.GC_LEASE_PK, keys.GC_REINDEX_SK).update(
            actions=[GcReindexItem.cursor.set(json.dumps(after, sort_keys=True))],
            condition=GcReindexItem.run == run,
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _finish(run: str) -> None:
    """The scan reached the end: the cursor goes (the next backfill starts afresh)."""
    try:
        GcReindexItem(keys.GC_LEASE_PK, keys.GC_REINDEX_SK).delete(
            condition=GcReindexItem.run == run
        )
    except DeleteError as error:
        if not condition_failed(error):
            raise
