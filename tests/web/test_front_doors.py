"""The web pages answer behind both front doors: API Gateway's REST proxy and the Lambda
Function URL (whose paths chalicelib/api/front_door.py matches against chalicelib/web/paths.py,
kept equal to app.py's routes here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import push_image
from tests.deploy.doors import DOORS


@pytest.fixture(scope="module")
def app(aws: dict[str, str]) -> Iterator[Any]:
    from app import app as chalice_app

    yield chalice_app


def test_the_paths_list_is_app_pys_routes(app: Any) -> None:
    from chalicelib.web.paths import PAGES, STATIC_ROUTE

    declared = {path for path in app.routes if path == "/ui" or path.startswith("/ui/")}
    assert declared == PAGES | {STATIC_ROUTE}


def test_every_page_answers_the_same_behind_both_doors(app: Any, client: Any, repo: str) -> None:
    pushed = push_image(client, repo, "v1")
    pages = [
        "/ui",
        f"/ui/repository?name={repo}",
        f"/ui/image?name={repo}&digest={pushed.digest}",
        f"/ui/history?name={repo}&tag=v1",
        f"/ui/activity?name={repo}",
        f"/ui/pulls-chart?name={repo}",
        f"/ui/settings?name={repo}",
        "/ui/admin",
        "/ui/admin/webhooks",
        "/ui/admin/audit",
        "/ui/login",
        "/ui/static/berth.js",
        "/ui/static/nothing.js",
    ]
    for page in pages:
        path, _, query = page.partition("?")
        behind_rest = DOORS["rest"](app, "GET", path, query)
        behind_url = DOORS["url"](app, "GET", path, query)
        assert behind_rest.status == behind_url.status, page
        assert behind_rest.status in (200, 404), page
        assert behind_rest.header("content-type") == behind_url.header("content-type"), page
        if path == "/ui/pulls-chart":  # an image, not a page: the same SVG behind both
            assert behind_rest.status == 200 and behind_rest.body == behind_url.body
            assert behind_rest.header("content-type") == "image/svg+xml"
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    for door in ("rest", "url"):
        refused = DOORS[door](app, "POST", "/ui/settings", "", form, b"do=immutability")
        assert refused.status == 400, door  # no repository named: a clear page, not a 404
        assert DOORS[door](app, "GET", "/ui/nowhere").status in (403, 404), door


def test_what_chalice_does_around_a_page_is_done_behind_the_function_url_too(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Function URL door calls the pages' routes itself (no forged API Gateway event):
    a form of another type is refused alike, a page that fails is the same 500, and a method
    a page lacks is a 405 naming the ones it has (API Gateway refuses that one before)."""
    text = (("Content-Type", "text/plain"),)
    answers = [DOORS[door](app, "POST", "/ui/login", "", text, b"x") for door in ("rest", "url")]
    assert [a.status for a in answers] == [415, 415]
    assert answers[0].body == answers[1].body

    from chalicelib.web import handlers

    def fails(_request: Any) -> Any:
        raise RuntimeError("a page that fails")

    monkeypatch.setattr(handlers, "index", fails)
    answers = [DOORS[door](app, "GET", "/ui") for door in ("rest", "url")]
    assert [a.status for a in answers] == [500, 500]
    assert answers[0].body == answers[1].body

    refused = DOORS["url"](app, "DELETE", "/ui/login")
    assert refused.status == 405
    assert refused.header("allow") == "GET, POST"
