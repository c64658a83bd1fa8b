"""Background work in `berth cost`: what the registry does on its own, priced by what drives
it (pushes, repositories changed, advisory database changes), never by the registry's size.

Each job is a bag of AWS usage (`Usage`) built from call counts the tests pin or the bench
measures, named where they come from; `price` turns a bag into dollars with the same unit
prices as the request lines. Durations are the assumptions (moto answers in microseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

from berth.cost.prices import MILLION, THOUSAND, Prices

MB_PER_GB = 1024
DAYS_PER_MONTH = 730 / 24


@dataclass(slots=True)
class Usage:
    """AWS usage of a background job over a month."""

    invocations: float = 0.0
    gb_seconds: float = 0.0
    rru: float = 0.0
    wru: float = 0.0
    s3_put_class: float = 0.0
    s3_get_class: float = 0.0
    sqs_requests: float = 0.0
    events: float = 0.0
    dynamodb_gb_months: float = 0.0

    def run(self, count: float, ms: float, memory_mb: int) -> None:
        """`count` invocations of `ms` each at `memory_mb`."""
        self.invocations += count
        self.gb_seconds += count * ms / 1000 * memory_mb / MB_PER_GB


def price(usage: Usage, p: Prices, architecture: str) -> float:
    return (
        usage.invocations / MILLION * p.lambda_per_million_requests
        + usage.gb_seconds * p.lambda_gb_second(architecture)
        + usage.rru / MILLION * p.dynamodb_per_million_rru
        + usage.wru / MILLION * p.dynamodb_per_million_wru
        + usage.s3_put_class / THOUSAND * p.s3_put_class_per_thousand
        + usage.s3_get_class / THOUSAND * p.s3_get_class_per_thousand
        + usage.sqs_requests / MILLION * p.sqs_per_million_requests
        + usage.events / MILLION * p.eventbridge_per_million_events
        + usage.dynamodb_gb_months
        * (p.dynamodb_storage_per_gb_month + p.dynamodb_pitr_per_gb_month)
    )


# Lifecycle (chalicelib/lifecycle/executor.py run_due, daily), calls pinned by
# tests/lifecycle/test_due_index.py: with nothing due a run makes one Query per due-index
# shard (LIFECYCLE_DUE_SHARDS, each reading a few small entries); each due repository adds a
# Query of its partition (its snapshot: manifests with their inline bodies, tags, history;
# DynamoDB bills a Query by the KB it reads, LIFECYCLE_PARTITION_KB assumed for 100 manifests
# and their tags), its policy in one BatchGetItem and an UpdateItem resetting its entry.
# A repository is due on a day it changed (a push, a tag move, a delete) or when an age rule
# comes due. Expiring an image is one transaction like a manifest delete (the GC line's
# changes count what it releases).
LIFECYCLE_DUE_SHARDS = 4
LIFECYCLE_PARTITION_KB = 400.0
LIFECYCLE_RUN_MS = 300  # assumed: the shard Queries and the function's own work
LIFECYCLE_DUE_MS = 150  # assumed: per repository planned


def lifecycle(due_per_day: float, memory_mb: int) -> Usage:
    runs = DAYS_PER_MONTH
    due = due_per_day * runs
    usage = Usage()
    usage.run(runs, LIFECYCLE_RUN_MS + due_per_day * LIFECYCLE_DUE_MS, memory_mb)
    usage.rru += runs * LIFECYCLE_DUE_SHARDS + due * (LIFECYCLE_PARTITION_KB / 4 + 1)
    usage.wru += due
    return usage


# Audit (chalicelib/storage/audit_items.py): a push writes its record under three keys (the
# repository, the actor, the day's feed) inside its own transaction (already in the manifest
# PUT's calls); what the model adds is their storage, kept `retention_days` and then deleted
# by the table's TTL without a billed write. ~0.5 KB an item (assumed: action, who, digest,
# tags, source IP, user agent, request id, and DynamoDB's per-item overhead).
AUDIT_ITEMS_PER_PUSH = 3
AUDIT_ITEM_KB = 0.5


def audit(pushes: float, retention_days: float) -> Usage:
    kept = pushes * retention_days / DAYS_PER_MONTH
    return Usage(dynamodb_gb_months=kept * AUDIT_ITEMS_PER_PUSH * AUDIT_ITEM_KB / 1024 / 1024)


@dataclass(frozen=True, slots=True)
class ScanCalls:
    """One scan's calls and CPU, as `python -m bench --only scan_calls` measured them."""

    cpu_ms: float
    s3_get: int  # GetObject and HeadObject
    s3_put: int
    dynamodb_reads: int  # calls, one read unit each (small items)
    dynamodb_writes: int  # items written, one write unit each (two in a transaction)
    transactions: int  # TransactWriteItems calls
    transaction_items: int  # of dynamodb_writes
    index_lookups: int  # of s3_get: advisory index objects read (8 at a time)


# bench/scancalls.py on 2026-12-05, a 100 MiB 10-layer image with 821 packages rebuilt with a
# new 12 MiB top layer: a new function instance reads an index object per distinct package; a
# warm one only those of packages it has not seen, or whose key a newer database version
# changed (the advisory cache, chalicelib/storage/advisory_cache.py). A rescan reads the stored
# inventory, not the layers; with the same findings it writes one item, with a new finding the
# vulnerability report and its referrer (the SBOM stays). The result item carrying the image's
# 3.3 KB of packed index keys is 4 write units, not 1 (SCAN_KEYS_WRU).
SCAN_ON_PUSH_NEW = ScanCalls(446.9, 583, 4, 6, 24, 4, 14, 571)
SCAN_ON_PUSH_WARM = ScanCalls(68.0, 12, 4, 6, 24, 4, 14, 0)
RESCAN_UNCHANGED = ScanCalls(147.4, 2, 0, 2, 1, 0, 0, 0)
RESCAN_CHANGED = ScanCalls(46.4, 5, 2, 8, 23, 3, 11, 0)
SCAN_KEYS_WRU = 3
SCAN_LAYER_MB_PER_S = 100.0  # assumed: streaming a new layer from S3 and gunzipping it
NEW_LAYER_MB = 12.0  # the reference push's rebuilt layer (berth/cost/calls.py)


def scan_ms(calls: ScanCalls, memory_mb: int, layer_mb: float = 0.0) -> float:
    """Billed ms of one scan: CPU scaled to the memory's CPU share, plus the waits of its calls
    (the index lookups 8 at a time; berth/cost/compute.py's per-call waits) and the new layer's
    bytes streaming in."""
    from berth.cost.compute import WAIT_MS, cpu_factor

    lookups_in_turn = -(-calls.index_lookups // 8)
    s3_reads = calls.s3_get - calls.index_lookups + lookups_in_turn
    plain_writes = max(0, calls.dynamodb_writes - calls.transactions)
    return (
        calls.cpu_ms * cpu_factor(memory_mb)
        + s3_reads * WAIT_MS[("s3", "read")]
        + calls.s3_put * WAIT_MS[("s3", "write")]
        + calls.dynamodb_reads * WAIT_MS[("dynamodb", "read")]
        + min(plain_writes, 8) * WAIT_MS[("dynamodb", "write")]
        + calls.transactions * WAIT_MS[("dynamodb", "transaction")]
        + layer_mb / SCAN_LAYER_MB_PER_S * 1000
    )


def add_scans(
    usage: Usage, count: float, calls: ScanCalls, memory_mb: int, layer_mb: float = 0.0
) -> None:
    """`count` scans, each one queue message (send, receive, delete) and one invocation."""
    usage.run(count, scan_ms(calls, memory_mb, layer_mb), memory_mb)
    usage.sqs_requests += 3 * count
    usage.s3_get_class += count * calls.s3_get
    usage.s3_put_class += count * calls.s3_put
    usage.rru += count * calls.dynamodb_reads
    units = calls.dynamodb_writes + calls.transaction_items  # a transaction's items count twice
    usage.wru += count * (units + (SCAN_KEYS_WRU if calls.s3_put else 0))


def scans_on_push(pushes: float, warm_share: float, memory_mb: int) -> Usage:
    """Every pushed image scanned (BERTH_SCAN_ON_PUSH, on by default) by the queue's consumer;
    `warm_share` of them on an instance that scanned before (assumed)."""
    usage = Usage()
    add_scans(usage, pushes * (1 - warm_share), SCAN_ON_PUSH_NEW, memory_mb, NEW_LAYER_MB)
    add_scans(usage, pushes * warm_share, SCAN_ON_PUSH_WARM, memory_mb, NEW_LAYER_MB)
    return usage


# The rescan walk after each database version (chalicelib/scanner/rescan.py): per page of 50
# manifests a queue message, one invocation, a Query of the page (manifest items ~3 KB) and a
# BatchGetItem of their results (~3.5 KB with the packed keys: one read unit each); then only
# the images a changed key touches are rescanned, from their stored inventory. The results are
# read eventually consistent: half a unit each.
WALK_PAGE = 50
WALK_PAGE_MS = 200  # assumed
MANIFEST_ITEM_KB = 3.0


def rescans(
    versions: float,
    stored_images: float,
    touched_share: float,
    changed_share: float,
    memory_mb: int,
) -> Usage:
    """`versions` database changes a month; `touched_share` of the stored images hold a key a
    version changed, `changed_share` of those get different findings (a new report and its
    referrer), the rest one UpdateItem."""
    usage = Usage()
    pages = versions * max(1.0, stored_images / WALK_PAGE)
    usage.run(pages, WALK_PAGE_MS, memory_mb)
    usage.sqs_requests += 3 * pages
    usage.rru += versions * stored_images * (MANIFEST_ITEM_KB / 4 + 0.5)
    touched = versions * stored_images * touched_share
    add_scans(usage, touched * changed_share, RESCAN_CHANGED, memory_mb)
    add_scans(usage, touched * (1 - changed_share), RESCAN_UNCHANGED, memory_mb)
    return usage


# The OSV sync (chalicelib/scanner/osv_sync.py, every 6 hours): a HEAD per synced ecosystem;
# when an export changed, its GET (transfer in is free), one PUT of the copy, a PUT per index
# key whose advisories changed, its state and change records, and the function's time reading
# the export (assumed, SYNC_CHANGED_S: the Debian export is the largest).
SYNC_RUNS = 4 * DAYS_PER_MONTH
SYNC_ECOSYSTEMS = 12
SYNC_CHANGED_S = 60.0


def osv_sync(changed_syncs: float, keys_per_change: float, memory_mb: int) -> Usage:
    usage = Usage()
    usage.run(SYNC_RUNS, 2000, memory_mb)
    usage.gb_seconds += changed_syncs * SYNC_CHANGED_S * memory_mb / MB_PER_GB
    usage.s3_get_class += SYNC_RUNS * SYNC_ECOSYSTEMS + changed_syncs * 3
    usage.s3_put_class += changed_syncs * (keys_per_change + 4)
    return usage
