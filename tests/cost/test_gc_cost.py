"""Garbage collection's line in `berth cost` (berth/cost/model.py): a constant per hourly run
plus a cost linear in the month's deletes, and nothing that grows with the registry."""

from __future__ import annotations

import pytest

from berth.cost.calls import load
from berth.cost.model import Workload, estimate


def _gc(workload: Workload) -> float:
    line = next(i for i in estimate(workload, load(None)).items if i.name.startswith("Garbage"))
    return line.function_url


def test_gc_cost_is_linear_in_changes_and_blind_to_stored_size() -> None:
    idle, some, twice = (_gc(Workload(gc_changes=n)) for n in (0, 10_000, 20_000))
    assert idle > 0
    assert twice - some == pytest.approx(some - idle)
    assert _gc(Workload(gc_changes=10_000, stored_gb=50_000)) == pytest.approx(some)
