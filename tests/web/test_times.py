"""chalicelib/web/times.py (pure): RFC 3339 with any number of fraction digits reads back to
the microsecond, anything else is None, and "ago" always names one whole unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.web import times

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9998, 1, 1), timezones=st.just(UTC)
)


@given(moments, st.integers(0, 3), st.integers(-14 * 60, 14 * 60))
def test_rfc3339_reads_back_whatever_the_fraction_and_zone(
    moment: datetime, extra: int, offset_minutes: int
) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone)
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    suffix = "Z" if offset_minutes == 0 else f"{sign}{hours:02}:{minutes:02}"
    text = local.strftime("%Y-%m-%dT%H:%M:%S.%f") + "7" * extra + suffix
    assert times.parse(text) == moment


@given(st.text(max_size=40))
def test_anything_else_is_none_or_a_utc_time(text: str) -> None:
    parsed = times.parse(text)
    assert parsed is None or parsed.tzinfo is UTC


def test_not_times() -> None:
    for text in ("yesterday", "2026-13-45T00:00:00Z", "2026-12-04T13:02:03", ""):
        assert times.parse(text) is None


@given(moments, st.integers(-(10**6), 10**10))
def test_ago_names_one_unit(moment: datetime, seconds: int) -> None:
    now = moment + timedelta(seconds=seconds)
    said = times.ago(moment, now)
    assert said in ("just now", "in the future") or said.endswith(
        (" min ago", " h ago", " days ago", " years ago")
    )
    if said.endswith("ago"):
        assert int(said.split()[0]) >= 1


def test_the_element_keeps_the_exact_value() -> None:
    moment = datetime(2026, 12, 4, 13, 2, 3, tzinfo=UTC)
    html = times.element(
        moment, moment + timedelta(hours=3, minutes=5), exact="2026-12-04T13:02:03.1Z"
    )
    assert html.endswith('title="2026-12-04T13:02:03.1Z">2026-12-04 13:02 UTC (3 h ago)</time>')
    assert times.ago(moment, moment + timedelta(days=3)) == "3 days ago"
    assert times.ago(moment, moment - timedelta(minutes=5)) == "in the future"
