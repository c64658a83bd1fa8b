"""Latency metrics gathered per function instance and written as one EMF line per kind every
`FLUSH_SAMPLES` requests or `FLUSH_SECONDS`, instead of an EMF block in every request line.

The block is about 175 of a request line's ~550 bytes, and CloudWatch Logs bills every byte
ingested; EMF takes up to 100 values of a metric in one line (`"Latency": [12.4, 3.1, ...]`),
each counted as a sample, so percentiles and the request count (`Latency`'s SampleCount) are
the same as from one block per line. The line carries the time of its first value, so values
land in the minute they were measured.

What this gives up: values wait in memory until the instance's next request past the bound,
and Lambda may freeze an idle instance and end it without another request, losing at most the
values of its last `FLUSH_SECONDS` (the request lines themselves are written at once; a 5xx
answer keeps its own inline block with `Errors`, so errors are never held back)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

FLUSH_SAMPLES = 100  # EMF's limit of values per metric in one line
FLUSH_SECONDS = 10.0


class LatencyBuffer:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._values: dict[str, list[float]] = {}
        self._since: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, latency_ms: float) -> list[dict[str, Any]]:
        """Keep one value; returns the EMF lines now due (the members of each)."""
        now = self._clock()
        with self._lock:
            self._values.setdefault(kind, []).append(latency_ms)
            self._since.setdefault(kind, now)
            due = [
                k
                for k, values in self._values.items()
                if len(values) >= FLUSH_SAMPLES or now - self._since[k] >= FLUSH_SECONDS
            ]
            taken = [(k, self._values.pop(k), self._since.pop(k)) for k in due]
        return [_line(k, values, since) for k, values, since in taken]

    def drain(self) -> list[dict[str, Any]]:
        """Every value held, as lines (a local server stopping, a test)."""
        with self._lock:
            taken = [(k, v, self._since[k]) for k, v in self._values.items()]
            self._values.clear()
            self._since.clear()
        return [_line(k, values, since) for k, values, since in taken]


def _line(kind: str, values: list[float], since: float) -> dict[str, Any]:
    from chalicelib.metrics import DIMENSIONS, LATENCY, NAMESPACE, stage

    return {
        "_aws": {
            "Timestamp": int(since * 1000),
            "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": DIMENSIONS, "Metrics": [LATENCY]}
            ],
        },
        "Stage": stage(),
        "Kind": kind,
        "Latency": values,
    }


BUFFER = LatencyBuffer()
