"""AWS calls per registry request, the input of `berth cost`.

The calls are written exactly as the bench prints them (`bench/awscalls.py`
`AwsCall.describe`: "dynamodb:TransactWriteItems[4 items]"), so measured rows of
bench/results.json drop in unchanged. `load()` takes the "aws_calls" section of
bench/results.json when a run left one there, and otherwise keeps the built-in defaults,
which are what `python -m bench --only aws_calls` measured on 2026-11-28 (commit 23f5722),
the manifest PUT on 2026-12-04 (commit 858768b).
Reading the file rather than running the bench in-process keeps `berth cost` instant and
free of moto; the bench package is not installed with berth either.

What the bench does not measure is marked `measured=False` with where it came from: the token
endpoint (from reading chalicelib/auth; since issue 16 it signs with a derived key and calls
KMS only when an instance resolves its keys, which model.py prices per instance) and a chunked
blob upload (counted once with bench.awscalls' recorder, 12 MiB in three 4 MiB PATCHes, the way
stock clients push a layer too big for one Lambda request). Durations are assumptions: moto
answers in microseconds, so local latency says nothing about DynamoDB's or S3's."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"
DEFAULT_SOURCE = (
    "built-in defaults = `python -m bench --only aws_calls` measured 2026-11-28 (commit 23f5722),"
    " manifest PUT 2026-12-05 (commit 7a6c905)"
)
_CALL = re.compile(r"^(?P<service>[a-z0-9-]+):(?P<operation>[A-Za-z]+)(?:\[(?P<n>\d+) items\])?$")


@dataclass(frozen=True, slots=True)
class Call:
    service: str
    operation: str
    items: int


def parse(text: str) -> Call:
    """One call in the bench's notation."""
    match = _CALL.match(text.strip())
    if match is None:
        raise ValueError(f"not a call in the bench's notation: {text!r}")
    return Call(match["service"], match["operation"], int(match["n"] or 1))


@dataclass(frozen=True, slots=True)
class Request:
    """One kind of registry request: the AWS calls it makes and what it costs in time."""

    label: str
    calls: tuple[str, ...]
    item_kb: float  # DynamoDB item size it reads/writes (average, rounded up per item)
    duration_ms: float  # assumed billed Lambda duration, all its invocations together
    measured: bool  # calls measured by the bench (True) or estimated (False)
    bench_label: str | None = None  # the bench's operation name, to refresh from results.json
    invocations: int = 1  # Lambda requests it takes (a chunked upload is several)
    # A successful pull-kind read: its log line may be sampled (BERTH_LOG_SAMPLE_READS).
    read: bool = False


# Inline manifests live in the tag and manifest items: an 8-layer OCI manifest is ~1.5 KB,
# so a tag item with its body is ~2 KB (one 4 KB read unit), and the four items a manifest
# PUT writes average ~2 KB (manifest with its blob list ~3 KB, tag ~2 KB, history and
# repository <1 KB): 2 WRU per KB, transactional.
REQUESTS: dict[str, Request] = {
    r.label: r
    for r in (
        Request("ping GET /v2/", (), 0.0, 5, measured=False, read=True),
        Request(
            "token (basic auth)",
            # No KMS call: the signing key is derived once per instance (issue 16), priced
            # with the instances in model.py, not per token. The credentials' login is cached
            # by the instance for the token TTL (no argon2id; bench/cpu.py measures the CPU),
            # leaving the fresh read of the revocations.
            ("dynamodb:Query",),
            1.0,
            45,  # without a measured CPU time: argon2id ~25 ms + the query
            measured=False,
        ),
        Request(
            "manifest HEAD by tag",
            ("dynamodb:GetItem",),
            2.0,
            15,
            measured=True,
            bench_label="manifest HEAD by tag",
            read=True,
        ),
        Request(
            "manifest GET by digest",
            ("dynamodb:GetItem",),
            3.0,
            15,
            measured=True,
            bench_label="manifest GET by digest",
            read=True,
        ),
        Request(
            "blob GET (307 to S3)",
            ("dynamodb:GetItem",),
            0.5,
            15,
            measured=True,
            bench_label="blob GET (307)",
            read=True,
        ),
        Request(
            "blob HEAD",
            ("dynamodb:GetItem",),
            0.5,
            15,
            measured=True,
            bench_label="blob HEAD",
            read=True,
        ),
        Request(
            "monolithic blob push",
            ("s3:PutObject", "dynamodb:TransactWriteItems[3 items]"),  # link, GC index, repo
            0.5,
            60,
            measured=True,
            bench_label="monolithic blob push",
        ),
        Request(
            "chunked 12 MiB layer (POST, 3 PATCH, PUT)",
            (
                "dynamodb:PutItem",  # POST: the session
                *("dynamodb:UpdateItem", "s3:PutObject", "dynamodb:UpdateItem"),  # PATCH 1
                *("dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject"),  # PATCH 2: a part
                *("dynamodb:UpdateItem", "s3:DeleteObjects"),
                *("dynamodb:UpdateItem", "s3:PutObject", "dynamodb:UpdateItem"),  # PATCH 3
                "dynamodb:UpdateItem",  # PUT: lock, then assemble server-side
                "s3:HeadObject",
                "s3:GetObject",
                "s3:CreateMultipartUpload",
                "s3:UploadPartCopy",
                "s3:UploadPart",
                "s3:CompleteMultipartUpload",
                "dynamodb:TransactWriteItems[3 items]",
                "s3:DeleteObjects",
                "dynamodb:DeleteItem",
            ),
            1.0,
            15 + 3 * 300 + 400,  # a 4 MiB PATCH ~300 ms (receive + PutObject), PUT ~400 ms
            measured=False,
            invocations=5,
        ),
        Request(
            "manifest PUT",
            (  # measured 2026-12-05: the BatchWriteItem is GC's reference index, the
                # transaction has two more items than on 2026-12-04, the lifecycle due entry one
                "dynamodb:BatchGetItem[2 items]",
                "dynamodb:BatchWriteItem[2 items]",
                "dynamodb:BatchGetItem[2 items]",
                "dynamodb:TransactWriteItems[7 items]",
            ),
            2.0,
            60,
            measured=True,
            bench_label="manifest PUT, new tag (info)",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class CallTable:
    requests: dict[str, Request]
    source: str
    # Measured handler CPU ms per request label (berth/cost/compute.py); a request without
    # one keeps its estimated `duration_ms`.
    cpu_ms: dict[str, float] = field(default_factory=dict)
    cpu_source: str = ""
    # Measured spawn -> first answer of a fresh instance (berth/cost/cold_start.py).
    cold_start_ms: float = 0.0
    cold_start_source: str = ""


def _from_results(document: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """{bench label: calls} of the measured, expected-status rows of an aws_calls section."""
    sections = document.get("sections")
    section = sections.get("aws_calls") if isinstance(sections, dict) else None
    if not isinstance(section, dict) or section.get("status") != "measured":
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for row in (section.get("data") or {}).get("operations") or []:
        if row.get("status") != row.get("expected_status"):
            continue
        calls = tuple(str(c) for c in (row.get("steady") or {}).get("calls") or [])
        for call in calls:
            parse(call)  # refuse a notation we cannot price rather than misprice it
        found[str(row.get("operation"))] = calls
    return found


def load(path: Path | None = RESULTS) -> CallTable:
    """The built-in table, with measured calls replaced by bench/results.json's if present,
    the handler CPU times (berth/cost/compute.py) and the cold start (cold_start.py)."""
    from berth.cost.cold_start import load_cold_start
    from berth.cost.compute import load_cpu

    cpu_ms, cpu_source = load_cpu(path)
    cold_ms, cold_source = load_cold_start(path)
    return replace(
        _load_calls(path),
        cpu_ms=cpu_ms,
        cpu_source=cpu_source,
        cold_start_ms=cold_ms,
        cold_start_source=cold_source,
    )


def _load_calls(path: Path | None) -> CallTable:
    if path is None or not path.is_file():
        return CallTable(dict(REQUESTS), DEFAULT_SOURCE)
    try:
        document = json.loads(path.read_text())
        measured = _from_results(document) if isinstance(document, dict) else {}
    except (ValueError, OSError):
        measured = {}
    if not measured:
        return CallTable(dict(REQUESTS), f"{DEFAULT_SOURCE} ({path.name} has no aws_calls rows)")
    requests = {
        label: replace(r, calls=measured[r.bench_label])
        if r.bench_label is not None and r.bench_label in measured
        else r
        for label, r in REQUESTS.items()
    }
    generated = document.get("generated_at", "?")
    name = "bench/results.json" if path == RESULTS else str(path)
    return CallTable(requests, f"{name} aws_calls, generated {generated}")
