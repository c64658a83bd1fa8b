"""The audit's pure parts: time-ordered sort keys, `since`, the partitions of an event, and
the bound on writes (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.audit import throttle
from chalicelib.audit.events import Event, anonymised, since_key, sort_key

times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
nonces = st.text(alphabet="0123456789abcdef", min_size=8, max_size=8)


@given(times, times, nonces, nonces)
def test_sort_keys_follow_time(a: datetime, b: datetime, x: str, y: str) -> None:
    if a < b:
        assert sort_key(a, x) < sort_key(b, y)
    # `since` at a time takes every event at or after it, none before it
    assert since_key(a.isoformat()) <= sort_key(a, x)
    assert sort_key(a - timedelta(microseconds=1), x) < since_key(a.isoformat())


def test_since_accepts_z_and_naive_utc() -> None:
    at = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert since_key("2026-11-28T10:00:00Z") == since_key("2026-11-28T10:00:00") == sort_key(at, "")
    with pytest.raises(ValueError):
        since_key("yesterday")


def test_partitions() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert Event("push", "ok", "-", at, repository="a/b").partitions() == ["AUDIT#R#a/b"]
    change = Event("grant", "ok", "user:root", at, subject="robot:ci")
    assert change.partitions() == ["AUDIT#P#user:root", "AUDIT#P#robot:ci"]
    same = Event("user.password", "ok", "user:a", at, subject="user:a")
    assert same.partitions() == ["AUDIT#P#user:a"]


def test_unknown_names_are_digests() -> None:
    assert anonymised("hunter2") == anonymised("hunter2") != anonymised("hunter3")
    assert "hunter2" not in anonymised("hunter2")


@given(st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), min_size=1, max_size=200))
def test_the_bound_writes_once_per_window_and_loses_no_count(gaps: list[float]) -> None:
    throttle.reset()
    window = throttle.window_seconds()
    now, written, records = 1000.0, 0, []
    for gap in gaps:
        now += gap
        count = throttle.admit("denied", "user:x", "10.0.0.1", now=now)
        if count is not None:
            records.append(now)
            written += count
    # consecutive records are at least a window apart
    assert all(b - a >= window for a, b in itertools.pairwise(records))
    # every event is in a record, or still counted for the next one
    pending = len(gaps) - written
    assert 0 <= pending < len(gaps)
    assert throttle.admit("denied", "user:x", "10.0.0.1", now=now + window + 1) == pending + 1


def test_every_event_is_in_its_days_feed() -> None:
    at = datetime(2026, 1, 1, 23, 59, tzinfo=UTC)
    assert Event("push", "ok", "-", at, repository="a/b").feed_partition() == "AUDIT#D#2026-01-01"
