"""Small numeric helpers shared by the measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

MiB = 1024 * 1024


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for a report."""
    return round(seconds * 1000.0, 1)


def ratio(value: float, baseline: float) -> float | None:
    """value / baseline, or None when the baseline is zero."""
    return round(value / baseline, 2) if baseline else None


def mib_per_s(size: int, seconds: float) -> float:
    return round(size / MiB / seconds, 1) if seconds > 0 else 0.0
