"""`berth cost`: what the reference workload costs a month on Berth, behind each front door,
beside what ECR would charge for the same.

The point is to price the design, not to quote a bill: the AWS calls per request come from
the bench (berth/cost/calls.py), the unit prices from berth/cost/prices.py, and everything
in between is plain arithmetic kept here so a test can check it by hand. Assumptions that
move the result (image size, durations, memory, where pulls come from) are parameters with
their defaults printed beside the table.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from berth.cost import background
from berth.cost.calls import RESULTS, CallTable, Request, load, parse
from berth.cost.cold_start import init_gb_seconds, init_ms
from berth.cost.compute import billed_ms, cpu_factor
from berth.cost.deployed import deployed_function
from berth.cost.log_bytes import (
    JSON_WARN_PLATFORM_BYTES,
    metrics_bytes_per_request,
    request_line_bytes,
)
from berth.cost.prices import (
    CAVEAT,
    MILLION,
    PRICE_DATE,
    THOUSAND,
    US_EAST_1,
    Prices,
    describe,
    tiered,
)
from chalicelib.metrics import KINDS, hourly_metrics

Door = Literal["function_url", "api_gateway", "ecr"]
GB = 1024**3
MB_PER_GB = 1024
MONTH_SECONDS = 730 * 3600  # AWS's month
# chalicelib.auth.keyring: an instance derives the current key (one GenerateMac) when it
# starts and again every RESOLVE_EVERY seconds; the previous alias is asked only around a
# rotation (a few calls a month, left out).
RESOLVE_EVERY = 300

DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
# S3 bills multipart calls and multi-object delete (a POST) at the PUT price; DELETE itself
# is free, but Berth only deletes through DeleteObjects.
S3_PUT_CLASS = frozenset(
    {
        "PutObject",
        "CopyObject",
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPartCopy",
        "CompleteMultipartUpload",
        "DeleteObjects",
        "ListObjectsV2",
        "ListParts",
        "ListMultipartUploads",
    }
)


@dataclass(frozen=True, slots=True)
class Workload:
    """A month of registry use, and the assumptions its price depends on."""

    stored_gb: float = 500
    pulls: int = 1_000_000
    pushes: int = 10_000
    layers: int = 8
    image_mb: float = 100  # compressed bytes a full pull downloads (layers + config)
    memory_mb: int = 1024  # `berth cost` passes .chalice/config.json's (deployed.py)
    architecture: str = "x86_64"  # Lambda's default; `berth cost` passes the deployed one
    # Berth's request line, measured from chalicelib.log (berth/cost/log_bytes.py), plus
    # what Lambda adds with the deploy's JSON format and system logs at WARN (assumed).
    log_bytes_per_request: int = field(
        default_factory=lambda: request_line_bytes() + JSON_WARN_PLATFORM_BYTES
    )
    # Each request's share of the EMF line its latency goes out in (chalicelib/metrics_buffer.py).
    metrics_bytes_per_request: float = field(default_factory=metrics_bytes_per_request)
    # BERTH_LOG_SAMPLE_READS: one successful read line in N is logged (1: all, the default).
    log_sample_reads: int = 1
    dynamodb_gb: float = 1.0  # metadata: tags, manifests inline, links, history
    # What chalicelib.metrics emits, one stage: Latency by kind, every hour; Errors by kind
    # only in the hours with a 5xx (CloudWatch bills a custom metric by the hours it gets
    # data), assumed to be `error_hour_share` of the month's hours.
    custom_metrics: int = field(default_factory=hourly_metrics)
    error_metrics: int = len(KINDS)
    error_hour_share: float = 0.10
    # Assumed: the share of invocations that start a new instance (each resolves its token
    # keys, KEY_ALIASES, and is billed its INIT: berth/cost/cold_start.py), and the instances
    # alive on average all month (each resolves its keys every RESOLVE_EVERY s).
    cold_start_rate: float = 0.01
    warm_instances: float = 2.0
    # Events: webhooks and deploy triggers each push notifies (chalicelib/events/).
    webhooks: int = 1
    delivery_ms: float = 150  # one delivery invocation: sign, POST, log
    # Replication (chalicelib/replication/): destinations each push is copied to, the new
    # bytes a copy sends (the rest is found present by HEAD), and one copy's duration.
    replicas: int = 0
    replicated_mb: float = 12
    replication_ms: float = 2000
    # Pull-through cache (chalicelib/cache/): images first pulled through a cache rule each
    # month (each fills its new bytes from upstream), the new bytes of one, how long the
    # fetching invocations run in all, and tag revalidations (a HEAD upstream past the TTL).
    cache_fills: int = 0
    cache_fill_mb: float = 120
    cache_fill_ms: float = 6000
    cache_revalidations: int = 0
    # Garbage collection (chalicelib/gc/): hourly incremental runs; its driver is the deletes
    # a month (links and manifests: each releases one candidate, one name per blob of a
    # manifest), not the size of the registry.
    gc_changes: int = 2_000
    gc_run_ms: float = 300
    # Lifecycle (daily): repositories due a day (changed, or an age rule coming due).
    lifecycle_due_per_day: float = 50
    # Audit records kept (BERTH_AUDIT_RETENTION_DAYS).
    audit_retention_days: float = 90
    # Scanning (chalicelib/scanner/): every push scanned, by the queue consumer's memory;
    # the share of scans on an instance that scanned before (its advisory lookups kept).
    scan_on_push: bool = True
    scan_memory_mb: int = 2048  # `berth cost` passes run_scans' from .chalice/config.json
    delivery_memory_mb: int = 512  # deliver_webhooks'
    sync_memory_mb: int = 2048  # sync_advisories'
    scan_warm_share: float = 0.75
    # Advisory database versions a month (each 6-hourly OSV sync that found a changed export),
    # the images stored (default: stored GB / image size), the share of them holding a key a
    # version changed, and the share of those whose findings change; index keys per change.
    advisory_versions: float = 120
    stored_images: float | None = None
    rescan_touched_share: float = 0.05
    rescan_changed_share: float = 0.5
    advisory_keys_per_change: float = 300

    def pull_mix(self) -> dict[str, int]:
        """The requests of one full pull (containerd/docker: HEAD by tag, GET by digest)."""
        return {
            "ping GET /v2/": 1,
            "token (basic auth)": 1,
            "manifest HEAD by tag": 1,
            "manifest GET by digest": 1,
            "blob GET (307 to S3)": self.layers + 1,  # the layers and the config
        }

    def push_mix(self) -> dict[str, int]:
        """One CI push: every blob checked, one rebuilt layer and a new config uploaded."""
        return {
            "ping GET /v2/": 1,
            "token (basic auth)": 1,
            "blob HEAD": self.layers + 1,
            "chunked 12 MiB layer (POST, 3 PATCH, PUT)": 1,
            "monolithic blob push": 1,  # the config
            "manifest PUT": 1,
        }


@dataclass(slots=True)
class Usage:
    """The month's billable quantities, before prices."""

    invocations: float = 0
    gb_seconds: float = 0
    cold_starts: float = 0
    init_gb_seconds: float = 0  # cold starts' INIT (and first request's extra), billed
    rru: float = 0
    wru: float = 0
    s3_put_class: float = 0
    s3_get_class: float = 0
    kms_requests: float = 0
    log_gb: float = 0
    transfer_gb: float = 0
    requests: Counter[str] = field(default_factory=Counter)


def _read_units(items: int, kb: float) -> int:
    """Strongly consistent (all of Berth's reads): 1 RRU per 4 KB, rounded up per item."""
    return items * max(1, math.ceil(kb / 4))


def _write_units(items: int, kb: float, transactional: bool) -> int:
    """1 WRU per KB rounded up per item; a transactional write costs twice that."""
    return items * max(1, math.ceil(kb)) * (2 if transactional else 1)


def duration_ms(request: Request, workload: Workload, cpu_ms: float | None = None) -> float:
    """Billed ms of the request: from its measured CPU time and assumed AWS waits when
    measured (berth/cost/compute.py), else its estimated duration."""
    if cpu_ms is None or request.invocations != 1:
        return request.duration_ms
    return billed_ms(cpu_ms, request.calls, workload.memory_mb)


def add_request(
    usage: Usage, request: Request, count: float, workload: Workload, cpu_ms: float | None = None
) -> None:
    """Add `count` requests of one kind to the month."""
    usage.requests[request.label] += int(count)
    usage.invocations += count * request.invocations
    billed = duration_ms(request, workload, cpu_ms)
    usage.gb_seconds += count * billed / 1000 * workload.memory_mb / MB_PER_GB
    logged = count * request.invocations
    if request.read:
        logged /= max(1, workload.log_sample_reads)
    usage.log_gb += logged * workload.log_bytes_per_request / GB
    # Every request's latency, sampled out of the log or not (chalicelib/metrics_buffer.py).
    usage.log_gb += count * request.invocations * workload.metrics_bytes_per_request / GB
    if request.label.startswith("blob GET"):
        usage.s3_get_class += count  # the client's GET on the presigned URL
    for text in request.calls:
        call = parse(text)
        if call.service == "dynamodb":
            if call.operation in DYNAMODB_READS:
                usage.rru += count * _read_units(call.items, request.item_kb)
            elif call.operation == "TransactGetItems":
                usage.rru += count * 2 * _read_units(call.items, request.item_kb)
            elif call.operation in DYNAMODB_WRITES:
                usage.wru += count * _write_units(call.items, request.item_kb, False)
            elif call.operation == "TransactWriteItems":
                usage.wru += count * _write_units(call.items, request.item_kb, True)
            else:
                raise ValueError(f"no price for {text}")
        elif call.service == "s3":
            if call.operation in S3_PUT_CLASS:
                usage.s3_put_class += count
            else:
                usage.s3_get_class += count
        elif call.service == "kms":
            usage.kms_requests += count
        else:
            raise ValueError(f"no price for {text}")


def usage_of(workload: Workload, table: CallTable) -> Usage:
    usage = Usage()
    mix: Counter[str] = Counter()
    for label, n in workload.pull_mix().items():
        mix[label] += workload.pulls * n
    for label, n in workload.push_mix().items():
        mix[label] += workload.pushes * n
    for label, count in mix.items():
        add_request(usage, table.requests[label], count, workload, table.cpu_ms.get(label))
    usage.transfer_gb = workload.pulls * workload.image_mb / MB_PER_GB
    usage.kms_requests += key_derivations(workload, usage.invocations)
    usage.cold_starts = usage.invocations * workload.cold_start_rate
    usage.init_gb_seconds = init_gb_seconds(
        usage.cold_starts, table.cold_start_ms, workload.memory_mb
    )
    return usage


def key_derivations(workload: Workload, invocations: float) -> float:
    """The month's GenerateMac calls: one when an instance starts, one every RESOLVE_EVERY
    seconds while warm."""
    started = invocations * workload.cold_start_rate
    return started + workload.warm_instances * MONTH_SECONDS / RESOLVE_EVERY


@dataclass(frozen=True, slots=True)
class LineItem:
    """One row: USD a month behind the Function URL, behind API Gateway, and on ECR."""

    name: str
    function_url: float
    api_gateway: float
    ecr: float
    quantity: str

    def cost(self, door: Door) -> float:
        return {"function_url": self.function_url, "api_gateway": self.api_gateway}.get(
            door, self.ecr
        )


@dataclass(frozen=True, slots=True)
class Estimate:
    items: list[LineItem]  # everything but data transfer
    transfer: LineItem  # internet data transfer out (zero for pulls in the same region)
    usage: Usage

    def total(self, door: Door, internet: bool) -> float:
        """The column's sum: with internet data transfer out, or with pulls in-region."""
        rows = [*self.items, self.transfer] if internet else self.items
        return sum(row.cost(door) for row in rows)


def _same(name: str, usd: float, quantity: str) -> LineItem:
    return LineItem(name, usd, usd, 0.0, quantity)


def estimate(workload: Workload, table: CallTable, prices: Prices = US_EAST_1) -> Estimate:
    usage = usage_of(workload, table)
    p = prices
    metadata_gb = workload.dynamodb_gb
    items = [
        _same(
            "Lambda requests",
            usage.invocations / MILLION * p.lambda_per_million_requests,
            f"{usage.invocations:,.0f} invocations",
        ),
        _same(
            "Lambda compute",
            usage.gb_seconds * p.lambda_gb_second(workload.architecture),
            f"{usage.gb_seconds:,.0f} GB-s at {workload.memory_mb} MB {workload.architecture}",
        ),
        _same(
            "Lambda INIT (cold starts)",
            usage.init_gb_seconds * p.lambda_gb_second(workload.architecture),
            f"{usage.cold_starts:,.0f} x {init_ms(table.cold_start_ms, workload.memory_mb):,.0f}"
            f" ms = {usage.init_gb_seconds:,.0f} GB-s",
        ),
        LineItem(
            "Front door requests",
            usage.invocations / MILLION * p.function_url_per_million,
            usage.invocations / MILLION * p.api_gateway_rest_per_million,
            0.0,
            f"{usage.invocations:,.0f} requests",
        ),
        _same(
            "DynamoDB reads",
            usage.rru / MILLION * p.dynamodb_per_million_rru,
            f"{usage.rru:,.0f} RRU",
        ),
        _same(
            "DynamoDB writes",
            usage.wru / MILLION * p.dynamodb_per_million_wru,
            f"{usage.wru:,.0f} WRU",
        ),
        _same(
            "DynamoDB storage + PITR",
            metadata_gb * (p.dynamodb_storage_per_gb_month + p.dynamodb_pitr_per_gb_month),
            f"{metadata_gb:g} GB (assumed)",
        ),
        LineItem(
            "Storage (S3 / ECR)",
            workload.stored_gb * p.s3_storage_per_gb_month,
            workload.stored_gb * p.s3_storage_per_gb_month,
            workload.stored_gb * p.ecr_storage_per_gb_month,
            f"{workload.stored_gb:g} GB-month",
        ),
        _same(
            "S3 PUT/COPY/POST requests",
            usage.s3_put_class / THOUSAND * p.s3_put_class_per_thousand,
            f"{usage.s3_put_class:,.0f} requests",
        ),
        _same(
            "S3 GET/HEAD requests",
            usage.s3_get_class / THOUSAND * p.s3_get_class_per_thousand,
            f"{usage.s3_get_class:,.0f} requests",
        ),
        _same(
            "KMS key + key derivations",
            p.kms_key_per_month + usage.kms_requests / 10_000 * p.kms_requests_per_10k,
            f"1 key, {usage.kms_requests:,.0f} GenerateMac",
        ),
        _same(
            "CloudWatch Logs ingestion",
            usage.log_gb * p.logs_ingest_per_gb,
            f"{usage.log_gb:,.1f} GB",
        ),
        _events(workload, p),
        _replication(workload, p),
        _cache(workload, p),
        _gc(workload, p),
        *_background(workload, p),
        _same(
            "CloudWatch metrics (EMF)",
            metric_months(workload) * p.custom_metric_per_month,
            f"{workload.custom_metrics} metrics + {workload.error_metrics} for "
            f"{workload.error_hour_share:.0%} of hours",
        ),
    ]
    internet = tiered(usage.transfer_gb, p.internet_transfer_tiers)
    transfer = LineItem(
        "Data transfer out, pulls from internet",
        internet,
        internet,
        internet,
        f"{usage.transfer_gb:,.0f} GB",
    )
    return Estimate(items, transfer, usage)


def metric_months(workload: Workload) -> float:
    """Custom metrics billed a month: those sent every hour, and the `Errors` metrics for
    the share of hours in which a request failed."""
    return workload.custom_metrics + workload.error_metrics * workload.error_hour_share


def _events(workload: Workload, p: Prices) -> LineItem:
    """Per push: one PutEvents entry and one `publish_events` invocation (the stream's reads
    are free to Lambda); per webhook or trigger: an SQS send, receive and delete, one
    `deliver_webhooks` invocation, and a delivery-log write. ECR's own events are free."""
    deliveries = workload.pushes * workload.webhooks
    invocations = workload.pushes + deliveries
    gb_seconds = deliveries * workload.delivery_ms / 1000 * workload.delivery_memory_mb / MB_PER_GB
    usd = (
        workload.pushes / MILLION * p.eventbridge_per_million_events
        + 3 * deliveries / MILLION * p.sqs_per_million_requests
        + invocations / MILLION * p.lambda_per_million_requests
        + gb_seconds * p.lambda_gb_second(workload.architecture)
        + deliveries / MILLION * p.dynamodb_per_million_wru
    )
    return _same(
        "Events (EventBridge, webhooks)",
        usd,
        f"{workload.pushes:,} events, {deliveries:,} deliveries",
    )


def _replication(workload: Workload, p: Prices) -> LineItem:
    """Per copy (a push to one destination): an SQS send, receive and delete; one invocation
    of `replication_ms` streaming the new blobs from S3 (a GET each: the rebuilt layer and
    the config); a rule read and three manifest reads (RRU), the pending and done status
    writes (WRU); one `Berth Replication Action` event. Transfer into ECR or any registry in
    the same region is free; to another region or the internet it is S3's transfer out.
    A copy over 512 MiB goes up resumably: a checkpoint write per 16 MiB PATCH, and its
    delete (a run it needs beyond the first adds a GET and an SQS round, not counted)."""
    copies = workload.pushes * workload.replicas
    resumable = workload.replicated_mb > 512
    checkpoint_writes = (math.ceil(workload.replicated_mb / 16) + 1) * copies if resumable else 0
    gb_seconds = copies * workload.replication_ms / 1000 * workload.memory_mb / MB_PER_GB
    usd = (
        3 * copies / MILLION * p.sqs_per_million_requests
        + copies / MILLION * p.lambda_per_million_requests
        + gb_seconds * p.lambda_gb_second(workload.architecture)
        + 2 * copies / 1000 * p.s3_get_class_per_thousand
        + 4 * copies / MILLION * p.dynamodb_per_million_rru
        + 2 * copies / MILLION * p.dynamodb_per_million_wru
        + copies / MILLION * p.eventbridge_per_million_events
        + checkpoint_writes / MILLION * p.dynamodb_per_million_wru
    )
    gb = copies * workload.replicated_mb / 1024
    return _same(
        "Replication (same-region destinations)",
        usd,
        f"{copies:,} copies, {gb:,.1f} GB sent",
    )


def _cache(workload: Workload, p: Prices) -> LineItem:
    """Per fill (one image first pulled through a cache rule): the manifest's and each blob's
    requests run `cache_fill_ms` in all while bytes stream from upstream into S3 (in the
    queue's consumer when upstream redirected the client to its storage, as Docker Hub,
    ghcr.io and ECR do: chalicelib/cache/fill_jobs.py); per blob one consumer invocation and
    its SQS send, receive and delete; S3 PUT class requests per blob (a PutObject, or
    CreateMultipartUpload + a part per 8 MiB + Complete), two HEADs per blob (GET class: the
    request's and the fill's); per blob a claim put, a re-take and a delete, a link
    transaction (2 items) and its reads; the manifest's transaction (6 items); the rules
    Query at most once per instance per 10 s is noise. Transfer in from the internet is free.
    Per revalidation: a GetItem, a PutItem and ~200 ms of a request waiting on a HEAD.
    ECR's own pull-through cache charges nothing beyond storage and transfer: 0 there."""
    blobs = workload.layers + 1
    fills = workload.cache_fills
    parts = workload.cache_fill_mb / 8 + 2 * blobs
    seconds = fills * workload.cache_fill_ms / 1000 + workload.cache_revalidations * 0.2
    gb_seconds = seconds * workload.memory_mb / MB_PER_GB
    usd = (
        gb_seconds * p.lambda_gb_second(workload.architecture)
        + fills * parts / THOUSAND * p.s3_put_class_per_thousand
        + fills * 2 * blobs / THOUSAND * p.s3_get_class_per_thousand
        + fills * (5 * blobs + 12) / MILLION * p.dynamodb_per_million_wru
        + fills * 3 * blobs / MILLION * p.sqs_per_million_requests
        + fills * blobs / MILLION * p.lambda_per_million_requests
        + fills * (2 * blobs + 2) / MILLION * p.dynamodb_per_million_rru
        + workload.cache_revalidations / MILLION * p.dynamodb_per_million_rru
        + workload.cache_revalidations / MILLION * p.dynamodb_per_million_wru
    )
    gb = fills * workload.cache_fill_mb / 1024
    detail = f"{fills:,} fills, {gb:,.1f} GB in; {workload.cache_revalidations:,} revalidations"
    return LineItem("Pull-through cache fills", usd, usd, 0.0, detail)


def pull_counter_note(workload: Workload, prices: Prices) -> str:
    """Pulls per day (chalicelib/storage/pull_counts.py) cost no call on a pull: each instance
    writes its tally with one UpdateItem (1 WRU) per repository at most once a minute, and
    never more often than it is pulled. Priced at that bound, for one repository pulled every
    minute of the month on every warm instance; too small to be a line of its own."""
    writes = workload.warm_instances * MONTH_SECONDS / 60
    usd = writes / MILLION * prices.dynamodb_per_million_wru
    return (
        "  - pulls per day: no call per pull; at most one UpdateItem (1 WRU) per instance and "
        f"repository a minute, so {workload.warm_instances:g} warm instances pulling one "
        f"repository all month write at most {writes:,.0f} times ({_usd(usd)} per repository "
        "pulled every minute; left out of the table)"
    )


# Measured (tests/gc/test_gc_incremental.py pins them, bench/gcbench.py reports them): an
# incremental run with nothing released makes GC_RUN_READS Queries (one per candidate shard)
# plus the lease's put and delete and the index marker's read, and lists uploads/ twice; each
# released name costs GC_CHANGE_READS consistent reads, GC_CHANGE_WRITES writes, a HEAD and,
# when it is deleted, a DeleteObjects (counted as if every change deletes: the upper bound).
GC_RUNS = 730  # hourly
GC_RUN_READS = 5
GC_RUN_WRITES = 2
GC_RUN_LISTS = 2
GC_CHANGE_READS = 2
GC_CHANGE_WRITES = 4 + 2  # marker x3, candidate delete; its transactional write on release


def _gc(workload: Workload, p: Prices) -> LineItem:
    """Hourly incremental collections: a constant per run plus a linear cost per change."""
    runs, changes = GC_RUNS, workload.gc_changes
    gb_seconds = runs * workload.gc_run_ms / 1000 * workload.memory_mb / MB_PER_GB
    usd = (
        runs / MILLION * p.lambda_per_million_requests
        + gb_seconds * p.lambda_gb_second(workload.architecture)
        + (runs * GC_RUN_READS + changes * GC_CHANGE_READS) / MILLION * p.dynamodb_per_million_rru
        + (runs * GC_RUN_WRITES + changes * GC_CHANGE_WRITES) / MILLION * p.dynamodb_per_million_wru
        + (runs * GC_RUN_LISTS + changes) / THOUSAND * p.s3_put_class_per_thousand
        + changes / THOUSAND * p.s3_get_class_per_thousand
    )
    return _same("Garbage collection (hourly)", usd, f"{runs} runs, {changes:,} changes")


def _background(workload: Workload, p: Prices) -> list[LineItem]:
    """What the registry does on its own, each priced by its driver (berth/cost/background.py).
    ECR's scanning (basic), lifecycle and audit (CloudTrail management events) cost nothing."""
    arch = workload.architecture
    images = workload.stored_images
    if images is None:
        images = workload.stored_gb * 1024 / max(workload.image_mb, 1)
    scans = workload.pushes if workload.scan_on_push else 0
    rows = [
        (
            "Lifecycle (daily)",
            background.lifecycle(workload.lifecycle_due_per_day, workload.memory_mb),
            f"{workload.lifecycle_due_per_day:g} repositories due a day",
        ),
        (
            "Audit trail (DynamoDB storage)",
            background.audit(workload.pushes, workload.audit_retention_days),
            f"{workload.pushes:,} pushes kept {workload.audit_retention_days:g} days",
        ),
        (
            "Scanning on push",
            background.scans_on_push(scans, workload.scan_warm_share, workload.scan_memory_mb),
            f"{scans:,} scans, {workload.scan_warm_share:.0%} on a warm instance",
        ),
        (
            "Rescans (advisory changes)",
            background.rescans(
                workload.advisory_versions if workload.scan_on_push else 0,
                images,
                workload.rescan_touched_share,
                workload.rescan_changed_share,
                workload.scan_memory_mb,
            ),
            f"{workload.advisory_versions:g} versions x {images:,.0f} images, "
            f"{workload.rescan_touched_share:.0%} touched",
        ),
        (
            "Advisory sync (OSV)",
            background.osv_sync(
                workload.advisory_versions if workload.scan_on_push else 0,
                workload.advisory_keys_per_change,
                workload.sync_memory_mb,
            ),
            f"{background.SYNC_RUNS:,.0f} runs, {workload.advisory_versions:g} changed",
        ),
    ]
    return [_same(name, background.price(used, p, arch), quantity) for name, used, quantity in rows]


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def render(workload: Workload, table: CallTable, prices: Prices = US_EAST_1) -> str:
    """The report: the table, the assumptions, the prices with their date."""
    result = estimate(workload, table, prices)
    headers = ("Line item", "Function URL", "API Gateway", "ECR", "Quantity")
    rows: list[tuple[str, ...]] = [
        (i.name, _usd(i.function_url), _usd(i.api_gateway), _usd(i.ecr), i.quantity)
        for i in result.items
    ]
    rule = ("",) * len(headers)
    rows.append(rule)
    rows.append(
        (
            "TOTAL, pulls from the same region",
            _usd(result.total("function_url", False)),
            _usd(result.total("api_gateway", False)),
            _usd(result.total("ecr", False)),
            "no data transfer charge",
        )
    )
    t = result.transfer
    rows.append((t.name, _usd(t.function_url), _usd(t.api_gateway), _usd(t.ecr), t.quantity))
    rows.append(
        (
            "TOTAL, pulls from the internet",
            _usd(result.total("function_url", True)),
            _usd(result.total("api_gateway", True)),
            _usd(result.total("ecr", True)),
            "",
        )
    )
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        if cells == rule:
            return "  ".join("-" * w for w in widths)
        first = cells[0].ljust(widths[0])
        money = [c.rjust(w) for c, w in zip(cells[1:4], widths[1:4], strict=True)]
        return "  ".join([first, *money, cells[4]]).rstrip()

    pull_requests = sum(n * table.requests[k].invocations for k, n in workload.pull_mix().items())
    push_requests = sum(n * table.requests[k].invocations for k, n in workload.push_mix().items())
    out = [
        f"Berth monthly cost: {workload.stored_gb:g} GB stored, {workload.pulls:,} pulls of an "
        f"{workload.layers}-layer image ({workload.image_mb:g} MB), {workload.pushes:,} pushes",
        "",
        line(headers),
        line(rule),
        *(line(r) for r in rows),
        "",
        "Requests and AWS calls",
        f"  call counts: {table.source}",
        f"  a pull = {pull_requests} requests: ping, token, manifest HEAD by tag, manifest GET "
        f"by digest, {workload.layers + 1} blob GETs (layers + config) redirected to S3",
        f"  a push = {push_requests} requests: ping, token, {workload.layers + 1} blob HEADs, "
        "one rebuilt 12 MiB layer in 3 chunks (POST, 3 PATCH, PUT), config, manifest PUT",
    ]
    for label, request in table.requests.items():
        origin = "measured" if request.measured else "estimated"
        calls = ", ".join(request.calls) or "no AWS call"
        cpu = table.cpu_ms.get(label)
        billed = duration_ms(request, workload, cpu)
        timing = (
            f"{billed:g} ms estimated"
            if cpu is None or request.invocations != 1
            else f"{billed:g} ms = CPU {cpu:g} ms measured x {cpu_factor(workload.memory_mb):.2f}"
            " + AWS waits assumed"
        )
        out.append(
            f"  - {label} ({origin} calls, {timing}, items ~{request.item_kb:g} KB): {calls}"
        )
    out += [
        "",
        "Assumptions",
        f"  - Lambda {workload.architecture} at {workload.memory_mb} MB; durations: the "
        f"handler's CPU time ({table.cpu_source or 'not measured'}) x the CPU share the "
        "memory buys (1,769 MB = 1 vCPU), plus assumed AWS waits (DynamoDB 5 ms a read, 8 a "
        "write, 15 a transaction; S3 15 a read, 25 a write: berth/cost/compute.py), in whole "
        "ms; the token and the chunked upload are estimated",
        f"  - cold starts: {workload.cold_start_rate:.0%} of invocations (assumed), each billed"
        f" {init_ms(table.cold_start_ms, workload.memory_mb):,.0f} ms: spawn -> first answer "
        f"{table.cold_start_ms:g} ms ({table.cold_start_source or 'not measured'}) x the CPU"
        " share the memory buys; Lambda bills INIT for on-demand ZIP functions",
        "  - DynamoDB: every read is strongly consistent (1 RRU per 4 KB); standard writes 1 WRU"
        " per KB, transactional writes 2 WRU per KB, per item, rounded up; inline manifests "
        "make tag/manifest items ~2-3 KB",
        "  - pulls from ECS/EKS/EC2 in the registry's region pay no data transfer (S3 and ECR "
        "alike); from the internet they pay S3's tiered rate, the same as ECR's; ingress is free",
        "  - layer bytes never pass through Lambda on pulls (307 to presigned S3 GET); response "
        "bytes of the front door (manifests, redirects) are a few GB and left out",
        "  - ECR: no request or API charge; pushes and pulls cost only storage and transfer",
        "  - free tiers (Lambda, API Gateway, KMS, CloudWatch, 100 GB transfer) are left out",
        f"  - one log line per request, {workload.log_bytes_per_request} B: Berth's line "
        f"measured from the code ({workload.log_bytes_per_request - JSON_WARN_PLATFORM_BYTES}"
        f" B) + {JSON_WARN_PLATFORM_BYTES} B assumed for Lambda's JSON format (START/END/"
        "REPORT dropped at system level WARN); plus "
        f"{workload.metrics_bytes_per_request:.1f} B a request for the EMF line that carries "
        "100 latencies of a kind (measured from the code); log storage beyond ingestion is "
        "left out"
        + (
            f"; 1 in {workload.log_sample_reads} successful read lines kept"
            if workload.log_sample_reads > 1
            else ""
        ),
        f"  - custom metrics: chalicelib.metrics' Latency by Stage x Kind (read, write) every "
        f"hour ({workload.custom_metrics}); Errors by the same, sent only by a 5xx answer, so "
        f"billed for the hours with one (assumed {workload.error_hour_share:.0%} of hours)",
        "  - token keys: one GenerateMac when an instance starts "
        f"(assumed {workload.cold_start_rate:.0%} of invocations), one every {RESOLVE_EVERY} s"
        f" while warm (assumed {workload.warm_instances:g} instances all month); no KMS call "
        "per token",
        pull_counter_note(workload, prices),
        "",
        f"Prices used ({CAVEAT}):",
    ]
    width = max(len(name) for name, _ in describe(prices))
    out += [f"  {name.ljust(width)}  {price}" for name, price in describe(prices)]
    return "\n".join(out) + "\n"


def _run(args: argparse.Namespace) -> int:
    workload = Workload(
        stored_gb=args.stored_gb,
        pulls=args.pulls,
        pushes=args.pushes,
        layers=args.layers,
        image_mb=args.image_mb,
        memory_mb=args.memory_mb,
        architecture=args.architecture,
        cold_start_rate=args.cold_start_rate,
        webhooks=args.webhooks,
        log_sample_reads=args.log_sample_reads,
        replicas=args.replicas,
        cache_fills=args.cache_fills,
        cache_revalidations=args.cache_revalidations,
        gc_changes=args.gc_changes,
        scan_memory_mb=deployed_function(function="run_scans").memory_mb,
        delivery_memory_mb=deployed_function(function="deliver_webhooks").memory_mb,
        sync_memory_mb=deployed_function(function="sync_advisories").memory_mb,
    )
    table = load(args.results)
    if args.json:
        print(json.dumps(as_json(workload, estimate(workload, table)), indent=2))
    else:
        print(render(workload, table), end="")
    if args.plot is not None or args.csv is not None:
        from berth.cost.curves import curves, to_csv
        from berth.cost.svg import render_svg

        found = curves(workload, table)
        if args.csv is not None:
            args.csv.write_text(to_csv(found))
            print(f"break-even curves (CSV): {args.csv}")
        if args.plot is not None:
            title = (
                f"Berth vs ECR: {workload.stored_gb:g} GB, {workload.pulls:,} pulls, "
                f"{workload.pushes:,} pushes a month (us-east-1 list prices, {PRICE_DATE})"
            )
            args.plot.write_text(render_svg(found, title))
            print(f"break-even curves (SVG): {args.plot}")
    return 0


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def as_json(workload: Workload, result: Estimate) -> dict[str, Any]:
    """The same estimate for scripts: the workload, each line item, the totals (USD a month)."""

    def item(row: LineItem) -> dict[str, Any]:
        return {
            "name": row.name,
            "functionUrl": round(row.function_url, 2),
            "apiGateway": round(row.api_gateway, 2),
            "ecr": round(row.ecr, 2),
            "quantity": row.quantity,
        }

    doors: tuple[Door, ...] = ("function_url", "api_gateway", "ecr")
    names = {"function_url": "functionUrl", "api_gateway": "apiGateway", "ecr": "ecr"}
    return {
        "workload": {_camel(k): v for k, v in asdict(workload).items()},
        "items": [item(row) for row in result.items],
        "transfer": item(result.transfer),
        "total": {names[d]: round(result.total(d, False), 2) for d in doors},
        "totalFromInternet": {names[d]: round(result.total(d, True), 2) for d in doors},
    }


def register(commands: Any) -> None:
    """Add `berth cost` to the CLI's subcommands."""
    reference = Workload()
    parser = commands.add_parser(
        "cost",
        help="monthly AWS cost of a workload, per front door, beside ECR",
        description="Price a month of registry use from the AWS calls per request that the "
        "bench measures and AWS list prices (us-east-1).",
    )
    parser.add_argument("--stored-gb", type=float, default=reference.stored_gb)
    parser.add_argument("--pulls", type=int, default=reference.pulls)
    parser.add_argument("--pushes", type=int, default=reference.pushes)
    parser.add_argument("--layers", type=int, default=reference.layers)
    parser.add_argument(
        "--image-mb", type=float, default=reference.image_mb, help="compressed image size"
    )
    deployed = deployed_function()
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=deployed.memory_mb,
        help=f"the API function's memory (default: as deployed, {deployed.memory_mb})",
    )
    parser.add_argument(
        "--architecture",
        choices=("arm64", "x86_64"),
        default=deployed.architecture,
        help=f"the functions' architecture (default: as deployed, {deployed.architecture})",
    )
    parser.add_argument(
        "--cold-start-rate",
        type=float,
        default=reference.cold_start_rate,
        metavar="SHARE",
        help="share of invocations that start an instance (default 0.01, assumed)",
    )
    parser.add_argument(
        "--webhooks",
        type=int,
        default=reference.webhooks,
        help="webhooks and deploy triggers each push notifies",
    )
    parser.add_argument(
        "--log-sample-reads",
        type=int,
        default=reference.log_sample_reads,
        metavar="N",
        help="BERTH_LOG_SAMPLE_READS: log one successful read in N (default 1: all)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE.svg",
        help="also write the break-even curves (Berth vs ECR as pulls and GB grow) as SVG",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="also write the break-even curves as CSV",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=reference.replicas,
        help="replication destinations each push is copied to",
    )
    parser.add_argument(
        "--cache-fills",
        type=int,
        default=reference.cache_fills,
        help="images first pulled through a pull-through cache rule per month",
    )
    parser.add_argument(
        "--cache-revalidations",
        type=int,
        default=reference.cache_revalidations,
        help="cached tags checked upstream (past their TTL) per month",
    )
    parser.add_argument(
        "--gc-changes",
        type=int,
        default=reference.gc_changes,
        help="link and manifest deletes per month (what garbage collection re-checks)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="bench results to take the call counts from (default: bench/results.json)",
    )
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.set_defaults(func=_run)
