"""`berth serve`'s per-job time budget (berth/localserver/pipeline.py): each message the
local pipeline delivers is handed the time left of a run as long as BERTH_LOCAL_JOB_SECONDS
(Lambda's remaining time, as app.py passes it), counted from that message's start."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.localserver import pipeline


@given(
    st.floats(61, 86_400, allow_nan=False),
    st.lists(st.floats(0, 1_000, allow_nan=False), min_size=1, max_size=5),
    st.floats(0, 10_000, allow_nan=False),
)
def test_each_job_counts_down_from_the_budget_from_its_own_start(
    seconds: float, steps: list[float], idle: float
) -> None:
    now = [0.0]
    seen: list[list[float]] = []

    def deliver(bodies: list[str], *, remaining: Any) -> None:
        readings = []
        for step in steps:
            now[0] += step
            readings.append(remaining())
        seen.append(readings)

    run = pipeline.within(deliver, seconds, lambda: now[0])
    run(["one"])
    now[0] += idle  # time between jobs is nobody's
    run(["two"])
    elapsed = [sum(steps[: n + 1]) for n in range(len(steps))]
    for readings in seen:
        assert readings == pytest.approx([seconds - e for e in elapsed])


def test_the_budget_is_read_from_the_environment_and_checked() -> None:
    assert pipeline.job_seconds(None) == pipeline.JOB_SECONDS == 900.0
    assert pipeline.job_seconds(" ") == 900.0
    assert pipeline.job_seconds("90") == 90.0
    assert pipeline.job_seconds("61.5") == 61.5
    for bad in ("0", "-5", "60", "nan", "inf", "ten", "100000"):
        with pytest.raises(pipeline.BudgetError, match=pipeline.JOB_SECONDS_ENV):
            pipeline.job_seconds(bad)
