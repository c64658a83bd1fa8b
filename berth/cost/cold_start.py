"""Cold starts: Lambda bills the INIT phase of on-demand ZIP functions (since August 2025) as
it bills an invocation, by the GB-second at the function's memory and architecture.

What a cold start takes is measured: `make bench`'s `cold_start` section times a fresh
interpreter from spawn to the answer of its first manifest GET (bench/coldstart.py), on the
measuring machine's full core; the built-in figure below is that measurement's, and a
bench/results.json with a measured `cold_start` section replaces it. As with the handler's
CPU time (berth/cost/compute.py) it is scaled to the CPU share the memory buys, the start-up
being CPU work. That span covers INIT (start-up and `import app`) and the first request's
lazy imports and first AWS clients, which are billed as that invocation's duration: together
they are what a cold start adds. How often an instance starts is not measured: it is the
workload's `cold_start_rate` (an assumption, stated in the printout).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from berth.cost.compute import cpu_factor

MEASURED_ON = (
    "bench/coldstart.py on a quiet 2-core development machine, 2026-12-05 (commit fb4217c)"
)
# Spawn -> first manifest GET answered, median of 5, ms: the first of three quiet-machine runs
# after the pull path stopped importing the write side (issue 16: 197.0, 209.6, 196.4 ms against
# 133.1, 149.5, 135.9 ms for `import boto3`; docs/cost.md).
COLD_START_MS = 197.0
MB_PER_GB = 1024


def init_ms(cold_start_ms: float, memory_mb: int) -> float:
    """What one cold start adds to the billed duration at `memory_mb`."""
    return cold_start_ms * cpu_factor(memory_mb)


def init_gb_seconds(cold_starts: float, cold_start_ms: float, memory_mb: int) -> float:
    """The month's GB-seconds of cold starts."""
    return cold_starts * init_ms(cold_start_ms, memory_mb) / 1000 * memory_mb / MB_PER_GB


def load_cold_start(path: Path | None) -> tuple[float, str]:
    """The built-in cold start, replaced by bench/results.json's `cold_start` if measured."""
    if path is None or not path.is_file():
        return COLD_START_MS, MEASURED_ON
    try:
        document: Any = json.loads(path.read_text())
        section = document["sections"]["cold_start"]
        measured = float(section["data"]["median_to_answer_ms"])
    except (ValueError, OSError, KeyError, TypeError):
        return COLD_START_MS, MEASURED_ON
    if section.get("status") != "measured" or measured <= 0:
        return COLD_START_MS, MEASURED_ON
    return measured, f"{path.name} cold_start, generated {document.get('generated_at', '?')}"
