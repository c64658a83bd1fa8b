"""`berth cost` prices pulls per day at their bound (one UpdateItem per instance and
repository a minute), worked by hand, and says a pull itself makes no call for it."""

from __future__ import annotations

from berth.cost.model import Workload, pull_counter_note
from berth.cost.prices import US_EAST_1


def test_the_pull_counters_bound_by_hand() -> None:
    # 2 warm instances x 730 h x 60 minutes = 87,600 writes; at $0.625 a million WRU, $0.05.
    note = pull_counter_note(Workload(warm_instances=2.0), US_EAST_1)
    assert "no call per pull" in note
    assert "write at most 87,600 times ($0.05 per repository" in note
    busier = pull_counter_note(Workload(warm_instances=20.0), US_EAST_1)
    assert "write at most 876,000 times ($0.55 per repository" in busier
