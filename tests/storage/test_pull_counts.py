"""Pulls per day, counted in memory and written at most once a minute per instance: every
manifest GET counts (by tag or digest), a HEAD does not, nothing is written before the minute,
one ADD per repository and day after it, and what is written plus what waits is what was
pulled. Against moto, with the instance's clocks injected (no sleeps)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.awscalls import Recorder, recording
from chalicelib.storage import pull_counts
from tests.api.helpers import get_manifest, head_manifest, push_image

DAY = date(2030, 1, 1)
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)


class Clocks:
    """The instance's monotonic seconds and the UTC time, moved by the test."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.moment = T0

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clocks(monkeypatch: pytest.MonkeyPatch) -> Clocks:
    clocks = Clocks()
    monkeypatch.setattr(pull_counts, "monotonic", lambda: clocks.seconds)
    monkeypatch.setattr(pull_counts, "now", lambda: clocks.moment)
    return clocks


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with recording() as active:
        yield active


def pulls(client: Any, recorder: Recorder, repo: str, reference: str, times: int) -> list[str]:
    """The counter writes (UpdateItems on a PULLS# key) that `times` GETs made."""
    with recorder.window() as tally:
        for _ in range(times):
            assert get_manifest(client, repo, reference).status_code == 200
    return [c.describe() for c in tally.calls if c.describe() == "dynamodb:UpdateItem"]


def test_nothing_is_written_before_the_minute_then_one_add(
    client: Any, repo: str, clocks: Clocks, recorder: Recorder
) -> None:
    pushed = push_image(client, repo, "v1")
    assert get_manifest(client, repo, "v1").status_code == 200  # the day's last-pull write
    before = pulls(client, recorder, repo, "v1", 20)
    assert pulls(client, recorder, repo, pushed.digest, 5) == before == []
    for _ in range(3):
        assert head_manifest(client, repo, "v1").status_code == 200  # a HEAD is not a pull
    assert pull_counts.pending() == 26
    assert pull_counts.per_day(repo, DAY, DAY) == {}

    clocks.advance(pull_counts.FLUSH_EVERY)
    assert pulls(client, recorder, repo, "v1", 1) == ["dynamodb:UpdateItem"]
    assert pull_counts.pending() == 0
    assert pull_counts.per_day(repo, DAY - timedelta(days=29), DAY) == {DAY: 27}

    # The next minute starts at the next pull: none of these writes, then one ADD more.
    assert pulls(client, recorder, repo, "v1", 10) == []
    clocks.advance(pull_counts.FLUSH_EVERY - 1)
    assert pulls(client, recorder, repo, "v1", 1) == []
    clocks.advance(1)
    assert pulls(client, recorder, repo, "v1", 1) == ["dynamodb:UpdateItem"]
    assert pull_counts.per_day(repo, DAY, DAY) == {DAY: 39}


def test_one_write_per_repository_and_day_and_at_most_max_writes(
    client: Any, repo: str, clocks: Clocks, recorder: Recorder
) -> None:
    names = [f"{repo}-{i:02d}" for i in range(pull_counts.MAX_WRITES + 2)]
    for name in names:
        push_image(client, name, "v1")
        assert get_manifest(client, name, "v1").status_code == 200
    assert pull_counts.pending() == len(names)
    clocks.advance(pull_counts.FLUSH_EVERY)
    written = pulls(client, recorder, names[0], "v1", 1)
    assert len(written) == pull_counts.MAX_WRITES, "one flush writes at most MAX_WRITES"
    assert pull_counts.pending() == 2, "the rest wait for the next flush"
    assert pull_counts.per_day(names[0], DAY, DAY) == {DAY: 2}
    clocks.advance(pull_counts.FLUSH_EVERY)
    assert len(pulls(client, recorder, names[0], "v1", 1)) == 3  # the two left, and this one
    for name in names[1:]:
        assert pull_counts.per_day(name, DAY, DAY) == {DAY: 1}, name
    assert pull_counts.per_day(names[0], DAY, DAY) == {DAY: 3}


def test_pulls_land_on_the_day_they_happened(
    client: Any, repo: str, clocks: Clocks, recorder: Recorder
) -> None:
    push_image(client, repo, "v1")
    clocks.moment = datetime(2030, 1, 1, 23, 59, 30, tzinfo=UTC)
    pulls(client, recorder, repo, "v1", 4)
    clocks.advance(pull_counts.FLUSH_EVERY)  # past midnight
    assert len(pulls(client, recorder, repo, "v1", 1)) == 2  # one ADD for each day
    assert pull_counts.per_day(repo, DAY, DAY + timedelta(days=1)) == {
        DAY: 4,
        DAY + timedelta(days=1): 1,
    }
    item = pull_counts.PullCountItem.get(f"PULLS#{repo}", DAY.isoformat())
    expiry = datetime(2030, 1, 2, tzinfo=UTC) + pull_counts.KEEP
    assert item.expires_at == int(expiry.timestamp()), "the table's TTL removes old days"


def test_a_failed_write_drops_its_counts_and_never_fails_the_pull(
    client: Any, repo: str, clocks: Clocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynamodb.exceptions import UpdateError

    push_image(client, repo, "v1")
    assert get_manifest(client, repo, "v1").status_code == 200

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise UpdateError("throttled")

    monkeypatch.setattr(pull_counts.PullCountItem, "update", refuse)
    clocks.advance(pull_counts.FLUSH_EVERY)
    assert get_manifest(client, repo, "v1").status_code == 200
    assert pull_counts.pending() == 0, "dropped: a retry could count them twice"
    monkeypatch.undo()
    assert pull_counts.per_day(repo, DAY, DAY) == {}


@settings(
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from([0.0, 5.0, 30.0, 59.0, 60.0, 3600.0])),
        min_size=1,
        max_size=25,
    )
)
def test_written_plus_waiting_is_what_was_pulled_and_flushes_are_a_minute_apart(
    client: Any, repo: str, clocks: Clocks, steps: list[tuple[int, float]]
) -> None:
    """Any order of pulls of three repositories and pauses: no count is lost or doubled while
    the instance lives, and two flushes are never less than a minute apart."""
    pull_counts.forget()
    run = f"{repo}-{abs(hash(tuple(steps))) % 10**8}"
    names = [f"{run}-{i}" for i in range(3)]
    for name in names:
        push_image(client, name, "v1")
    pull_counts.forget()
    flushed_at: list[float] = []
    counted = dict.fromkeys(names, 0)
    first_day = clocks.moment.date()
    for which, pause in steps:
        clocks.advance(pause)
        if pull_counts.count(names[which]):
            flushed_at.append(clocks.seconds)
        counted[names[which]] += 1
    assert all(b - a >= pull_counts.FLUSH_EVERY for a, b in pairwise(flushed_at))
    waiting = pull_counts.pending()
    written = {
        name: sum(pull_counts.per_day(name, first_day, clocks.moment.date()).values())
        for name in names
    }
    assert sum(written.values()) + waiting == sum(counted.values())
    pull_counts.flush()
    for name in names:
        assert (
            sum(pull_counts.per_day(name, first_day, clocks.moment.date()).values())
            == (counted[name])
        )
