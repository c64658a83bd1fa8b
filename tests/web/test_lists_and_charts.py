"""Long lists are paged (repositories and tags beyond one page of MAX_LISTED), and the small
server-drawn charts: storage per repository on the repositories page (no extra call), pushes
per day on a repository's activity page (1 Query)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from bench.awscalls import recording
from tests.api.helpers import push_image
from tests.web.test_pages import get, text


def links(page: str, table_id: str) -> list[str]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td><a [^>]*>([^<]+)</a>", body)


def next_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_repositories_and_tags_are_paged(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.web import handlers

    names = [f"{repo}-{i}" for i in range(3)]
    for name in names:
        push_image(client, name, "v1")
    for tag in ("a", "b", "c"):
        push_image(client, repo, tag)
    monkeypatch.setattr(handlers, "MAX_LISTED", 2)

    seen: list[str] = []
    path: str | None = "/ui"
    while path is not None:
        page = text(get(client, path))
        shown = links(page, "repositories")
        assert len(shown) <= 2
        seen += shown
        path = next_link(page)
    assert sorted(n for n in seen if n.startswith(repo)) == sorted([repo, *names])

    first = text(get(client, f"/ui/repository?name={repo}"))
    assert sorted(links(first, "tags")) == ["a", "b"]
    following = next_link(first)
    assert following is not None and "after=b" in following
    second = text(get(client, following))
    assert links(second, "tags") == ["c"] and next_link(second) is None
    assert "first page" in second
    assert get(client, f"/ui/repository?name={repo}&after=bad%20tag").status_code == 400
    assert get(client, "/ui?after=Bad..Name").status_code == 400
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, following).status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]


def test_storage_chart_and_pushes_per_day(client: Any, repo: str) -> None:
    push_image(client, repo, "v1")
    push_image(client, repo, "v2")
    push_image(client, f"{repo}-small", "v1")
    home = text(get(client, "/ui"))
    image = re.search(r'id="storage-chart"[^>]* src="data:image/svg\+xml;base64,([^"]+)"', home)
    assert image is not None
    chart = base64.b64decode(image.group(1)).decode()
    assert chart.startswith("<svg") and repo in chart and "<rect" in chart
    assert "<script" not in chart

    page = text(get(client, f"/ui/repository?name={repo}"))
    assert 'id="activity-link"' in page
    activity = get(client, f"/ui/activity?name={repo}")
    assert activity.status_code == 200
    assert "2 in the last 30 days" in text(activity)
    bars = re.findall(r"<title>(\d{4}-\d\d-\d\d): (\d+)</title>", text(activity))
    assert len(bars) == 30 and sum(int(n) for _, n in bars) == 2 and bars[-1][1] == "2"
    assert get(client, "/ui/activity?name=Bad..Name").status_code == 400
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, f"/ui/activity?name={repo}").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
