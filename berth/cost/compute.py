"""Billed Lambda duration of a request: the handler's measured CPU time, scaled to the CPU
share the function's memory buys, plus the time it waits for AWS.

The CPU time is measured (`python -m bench --only handler_cpu`, bench/cpu.py: in-process,
moto's own time taken out); the built-in figures below are that measurement's, and a
bench/results.json with a `handler_cpu` section replaces them. The waits cannot be measured
against moto, which answers in microseconds: they are assumptions, per AWS call, written here
beside the reason for each. Lambda bills whole milliseconds per invocation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from berth.cost.calls import parse

MEASURED_ON = "bench/cpu.py, measured 2026-12-05 on the 2-core development machine (50f5716)"
# Median CPU ms of a warm request, moto's time taken out.
CPU_MS: dict[str, float] = {
    "ping GET /v2/": 0.13,
    "token (basic auth)": 0.91,  # the login cached by the instance (issue 16)
    "manifest HEAD by tag": 0.83,
    "manifest GET by digest": 0.76,
    "blob GET (307 to S3)": 0.91,
    "blob HEAD": 0.63,
    "monolithic blob push": 1.55,
    "manifest PUT": 3.45,
}
# Lambda gives a function one full vCPU at 1,769 MB and a proportional share below; a core of
# the measuring machine is taken to be as fast as a Lambda vCPU (assumed).
FULL_VCPU_MB = 1769
# Assumed in-region latencies (AWS describes DynamoDB as single-digit milliseconds; S3
# first-byte latency is tens of milliseconds for small objects).
WAIT_MS = {
    ("dynamodb", "read"): 5.0,  # GetItem, Query, BatchGetItem
    ("dynamodb", "write"): 8.0,  # PutItem, UpdateItem, DeleteItem
    ("dynamodb", "transaction"): 15.0,  # TransactWriteItems / TransactGetItems
    ("s3", "read"): 15.0,  # GetObject, HeadObject
    ("s3", "write"): 25.0,  # PutObject of a small body, DeleteObjects, multipart calls
    ("kms", "any"): 10.0,
}


def cpu_factor(memory_mb: int) -> float:
    """How much longer CPU-bound work takes at `memory_mb` than on one full vCPU."""
    return max(1.0, FULL_VCPU_MB / memory_mb)


def _wait_kind(text: str) -> tuple[str, str]:
    call = parse(text)
    if call.service == "dynamodb":
        if call.operation.startswith("Transact"):
            return ("dynamodb", "transaction")
        reads = ("GetItem", "BatchGetItem", "Query", "Scan")
        return ("dynamodb", "read" if call.operation in reads else "write")
    if call.service == "s3":
        return ("s3", "read" if call.operation in ("GetObject", "HeadObject") else "write")
    return ("kms", "any")


def wait_ms(calls: tuple[str, ...]) -> float:
    """The assumed time a request waits for its AWS calls, made one after another."""
    return sum(WAIT_MS[_wait_kind(text)] for text in calls)


def billed_ms(cpu_ms: float, calls: tuple[str, ...], memory_mb: int) -> int:
    """Lambda's billed duration of one invocation (whole milliseconds, at least 1)."""
    return max(1, math.ceil(cpu_ms * cpu_factor(memory_mb) + wait_ms(calls)))


def load_cpu(path: Path | None) -> tuple[dict[str, float], str]:
    """The built-in CPU figures, replaced by bench/results.json's `handler_cpu` if present."""
    if path is None or not path.is_file():
        return dict(CPU_MS), MEASURED_ON
    try:
        document: Any = json.loads(path.read_text())
        section = document["sections"]["handler_cpu"]
        measured = {str(k): float(v) for k, v in section["data"]["cpu_ms"].items()}
    except (ValueError, OSError, KeyError, TypeError):
        return dict(CPU_MS), MEASURED_ON
    if section.get("status") != "measured" or not measured:
        return dict(CPU_MS), MEASURED_ON
    return {
        **CPU_MS,
        **measured,
    }, f"{path.name} handler_cpu, generated {document.get('generated_at', '?')}"
