"""Pulls per day in the web interface: the repository and activity pages show an image of
`/ui/pulls-chart` (so their own calls do not grow) with the note that says the count is
approximate; the chart draws what the counters hold (one Query), one column a day."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from bench.awscalls import recording
from chalicelib.storage import pull_counts
from tests.api.helpers import get_manifest, push_image
from tests.web.test_pages import get, text

TODAY = datetime(2030, 3, 31, 12, tzinfo=UTC)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> datetime:
    from chalicelib.web import pulls_chart

    monkeypatch.setattr(pulls_chart, "now", lambda: TODAY)
    monkeypatch.setattr(pull_counts, "now", lambda: TODAY)
    return TODAY


def columns(svg: str) -> list[tuple[str, int]]:
    return [(d, int(n)) for d, n in re.findall(r"<title>(\d{4}-\d\d-\d\d): (\d+)</title>", svg)]


def test_the_chart_draws_the_counted_pulls_in_one_query(
    client: Any, repo: str, today: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_image(client, repo, "v1")
    for _ in range(7):
        assert get_manifest(client, repo, "v1").status_code == 200
    monkeypatch.setattr(pull_counts, "now", lambda: TODAY - timedelta(days=3))
    for _ in range(2):
        assert get_manifest(client, repo, "v1").status_code == 200
    monkeypatch.setattr(pull_counts, "now", lambda: TODAY - timedelta(days=40))  # too old
    assert get_manifest(client, repo, "v1").status_code == 200
    assert pull_counts.flush() == 3

    with recording() as recorder:
        with recorder.window() as tally:
            chart = get(client, f"/ui/pulls-chart?name={quote(repo)}")
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
    assert chart.status_code == 200
    assert chart.headers["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in chart.headers["Content-Security-Policy"]
    assert chart.headers["Cache-Control"] == "no-store"
    svg = text(chart)
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<script" not in svg
    drawn = columns(svg)
    assert len(drawn) == 30
    assert drawn[0][0] == "2030-03-02" and drawn[-1] == ("2030-03-31", 7)
    assert dict(drawn)["2030-03-28"] == 2
    assert sum(n for _, n in drawn) == 9
    assert "about 9 pulls in the last 30 days (approximate)" in svg
    assert 'fill="#3a6ea5"' in svg, "an image is not styled by the page's stylesheet"


def test_a_repository_never_pulled_draws_empty_days(
    client: Any, repo: str, today: datetime
) -> None:
    push_image(client, repo, "v1")
    svg = text(get(client, f"/ui/pulls-chart?name={quote(repo)}"))
    assert columns(svg) and all(n == 0 for _, n in columns(svg))
    assert "about 0 pulls" in svg


def test_the_pages_show_the_chart_and_say_it_is_approximate(
    client: Any, repo: str, today: datetime
) -> None:
    push_image(client, repo, "v1")
    source = f'src="/ui/pulls-chart?name={quote(repo)}"'
    for page in (f"/ui/repository?name={repo}", f"/ui/activity?name={repo}"):
        body = text(get(client, page))
        assert 'id="pulls-chart"' in body and source in body, page
        assert "Approximate" in body and "once a minute" in body, page
    assert get(client, "/ui/pulls-chart?name=Bad..Name").status_code == 400
    assert get(client, "/ui/pulls-chart").status_code == 400
    escaped = text(get(client, "/ui/pulls-chart?name=%3Cscript%3E"))
    assert "<script>" not in escaped


def test_the_instance_writes_its_own_unwritten_pulls_before_drawing(
    client: Any, repo: str, today: datetime
) -> None:
    """As `berth serve` (one instance) shows every pull at once: the chart's request writes
    what this instance holds (one UpdateItem per repository), then reads."""
    push_image(client, repo, "v1")
    for _ in range(3):
        assert get_manifest(client, repo, "v1").status_code == 200
    assert pull_counts.pending() == 3
    with recording() as recorder:
        with recorder.window() as tally:
            svg = text(get(client, f"/ui/pulls-chart?name={quote(repo)}"))
        assert [c.describe() for c in tally.calls] == ["dynamodb:UpdateItem", "dynamodb:Query"]
    assert columns(svg)[-1] == ("2030-03-31", 3)
    assert pull_counts.pending() == 0
