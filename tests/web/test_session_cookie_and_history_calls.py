"""Issue 17's audit found two promises without a test: the session cookie is `Secure` behind
TLS (API Gateway, Function URLs and CloudFront say so in `X-Forwarded-Proto`) and short-lived
(an hour, `Max-Age` and the refresh token alike), and the history page's AWS calls
(docs/web.md: 1 GetItem, 1 Query)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from bench.awscalls import recording
from chalicelib.auth.permissions import Level
from tests.api.helpers import push_image
from tests.auth.gate_support import user
from tests.web.test_pages import get, text


def _sign_in_over(client: Any, proto: str, username: str, password: str) -> Any:
    form = client.http.get("/ui/login", headers={"X-Forwarded-Proto": proto})
    csrf = re.search(r'name="csrf" value="([^"]+)"', text(form))
    assert csrf is not None
    form_cookie = form.headers["Set-Cookie"]
    assert ("; Secure" in form_cookie) == (proto == "https"), form_cookie
    body = urlencode({"csrf": csrf.group(1), "username": username, "password": password})
    return client.http.post(
        "/ui/login",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": form_cookie.split(";")[0],
            "X-Forwarded-Proto": proto,
        },
        body=body.encode(),
    )


def test_the_session_cookie_is_secure_behind_tls_and_lives_an_hour(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.web import session
    from tests.auth.gate_support import _reset

    push_image(client, repo, "v1")
    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    try:
        reader = user("reader", [(repo, Level.PULL)])
        for proto in ("https", "http"):
            answer = _sign_in_over(client, proto, reader.username or "", reader.secret or "")
            assert answer.status_code == 303, proto
            cookie = answer.headers["Set-Cookie"]
            flags = [flag.strip() for flag in cookie.split(";")[1:]]
            assert ("Secure" in flags) == (proto == "https"), cookie
            assert {"HttpOnly", "SameSite=Strict", "Path=/ui"} <= set(flags), cookie
            assert f"Max-Age={session.SESSION_SECONDS}" in flags and session.SESSION_SECONDS <= 3600
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()


def test_the_history_page_makes_one_getitem_and_one_query(client: Any, repo: str) -> None:
    push_image(client, repo, "v1")
    push_image(client, repo, "v1")
    with recording() as recorder:
        with recorder.window() as tally:
            page = get(client, f"/ui/history?name={repo}&tag=v1")
        assert page.status_code == 200
        assert sorted(c.describe() for c in tally.calls) == ["dynamodb:GetItem", "dynamodb:Query"]
    assert text(page).count("roll back to this") == 1
