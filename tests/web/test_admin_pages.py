"""Administration pages through the in-process app: an admin creates users and robots (a
robot's secret shown once), grants and revokes, makes patterns public, reads webhooks with
their delivery log and the audit log with filters; a non-admin is shown no link and every
post is refused server-side; every form is CSRF-checked; each page's AWS calls are counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest

from bench.awscalls import recording
from chalicelib.auth.permissions import Level
from tests.api.helpers import push_image
from tests.auth.gate_support import Caller, user
from tests.web.test_pages import _sign_in, get, text

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@contextmanager
def auth_enabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from tests.auth.gate_support import _reset

    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    try:
        yield
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()


@pytest.fixture
def signed_in_auth(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with auth_enabled(monkeypatch):
        yield


def session_of(client: Any, caller: Caller) -> str:
    answer = _sign_in(client, caller.username or "", caller.secret or "")
    assert answer.status_code == 303
    return str(answer.headers["Set-Cookie"].split(";")[0])


def csrf_of(page: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text(page))
    assert found is not None
    return found.group(1)


def post(client: Any, cookie: str, fields: dict[str, str], path: str = "/ui/admin") -> Any:
    headers = {**FORM, "Cookie": cookie} if cookie else FORM
    return client.http.post(path, headers=headers, body=urlencode(fields).encode())


def test_an_admin_creates_a_robot_and_sees_its_secret_once(
    client: Any, repo: str, signed_in_auth: None
) -> None:
    from chalicelib.audit import store
    from chalicelib.audit.events import principal_key
    from chalicelib.auth import principals

    admin = user("admin", [("*", Level.ADMIN)])
    cookie = session_of(client, admin)
    page = get(client, "/ui/admin", cookie)
    assert page.status_code == 200 and 'id="create-robot"' in text(page)
    assert 'href="/ui/admin"' in text(get(client, "/ui", cookie))  # the header's link
    csrf = csrf_of(page)
    fields = {"csrf": csrf, "do": "robot.create", "name": "ci", "pattern": repo, "level": "pull"}
    created = post(client, cookie, fields)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="secret">([^<]+)</code>', text(created))
    assert secret is not None
    assert principals.authenticate("robot$ci", secret.group(1)) is not None
    robot_page = text(get(client, "/ui/admin/principal?kind=robot&name=ci", cookie))
    assert secret.group(1) not in robot_page and repo in robot_page and "pull" in robot_page
    assert post(client, cookie, fields).status_code == 409  # the name is taken
    events, _ = store.query(principal_key("robot:ci"), limit=10)
    assert [(ev.action, ev.who) for ev in events] == [("robot.create", f"user:{admin.username}")]

    # A new secret: shown once, the old one stops working.
    rotated = post(client, cookie, {"csrf": csrf, "do": "robot.rotate", "name": "ci"})
    assert rotated.status_code == 200
    fresh = re.search(r'<code id="secret">([^<]+)</code>', text(rotated))
    assert fresh is not None and fresh.group(1) != secret.group(1)
    assert principals.authenticate("robot$ci", secret.group(1)) is None
    assert principals.authenticate("robot$ci", fresh.group(1)) is not None

    # Bad input is a clear 400, never a 500, and creates nothing.
    bad = {**fields, "name": "Bad Name!"}
    assert post(client, cookie, bad).status_code == 400
    assert post(client, cookie, {**fields, "name": "other", "pattern": "a//b"}).status_code == 400
    assert principals.details("robot", "other") is None
    assert post(client, cookie, {"csrf": csrf, "do": "nonsense"}).status_code == 400


def test_users_grants_public_patterns_and_deletion(
    client: Any, repo: str, signed_in_auth: None
) -> None:
    from chalicelib.auth import principals

    admin = user("admin", [("*", Level.ADMIN)])
    cookie = session_of(client, admin)
    csrf = csrf_of(get(client, "/ui/admin", cookie))
    made = post(
        client,
        cookie,
        {"csrf": csrf, "do": "user.create", "name": "bob", "password": "long-enough-pw"},
    )
    assert made.status_code == 303 and "name=bob" in made.headers["Location"]
    assert principals.authenticate("bob", "long-enough-pw") is not None
    short = {"csrf": csrf, "do": "user.create", "name": "carol", "password": "short"}
    assert post(client, cookie, short).status_code == 400

    grant = {"csrf": csrf, "do": "grant", "kind": "user", "name": "bob", "pattern": f"{repo}/*"}
    assert post(client, cookie, {**grant, "level": "push"}).status_code == 303
    page = text(get(client, "/ui/admin/principal?kind=user&name=bob", cookie))
    assert f"{repo}/*" in page and "push" in page
    stored = principals.load("user", "bob")
    assert stored is not None and [g.level for g in stored.principal.grants] == [Level.PUSH]
    assert post(client, cookie, {**grant, "level": "root"}).status_code == 400
    ungrant = {**grant, "do": "ungrant"}
    assert post(client, cookie, ungrant).status_code == 303
    stored = principals.load("user", "bob")
    assert stored is not None and stored.principal.grants == ()
    assert post(client, cookie, ungrant).status_code == 404  # nothing left to revoke

    public = {"csrf": csrf, "do": "public.add", "pattern": "library/*"}
    assert post(client, cookie, public).status_code == 303
    assert principals.public_patterns() == ["library/*"]
    assert "library/*" in text(get(client, "/ui/admin", cookie))
    assert post(client, cookie, {**public, "do": "public.remove"}).status_code == 303
    assert principals.public_patterns() == []

    delete = {"csrf": csrf, "do": "delete", "kind": "user", "name": "bob"}
    assert post(client, cookie, delete).status_code == 303
    assert principals.details("user", "bob") is None
    assert get(client, "/ui/admin/principal?kind=user&name=bob", cookie).status_code == 404
    yourself = {**delete, "name": admin.username or ""}
    assert post(client, cookie, yourself).status_code == 403
    assert principals.details("user", admin.username or "") is not None


def test_non_admins_are_shown_nothing_and_refused(
    client: Any, repo: str, signed_in_auth: None
) -> None:
    from chalicelib.auth import principals

    reader = user("reader", [(repo, Level.PUSH)])
    cookie = session_of(client, reader)
    home = get(client, "/ui", cookie)
    assert "/ui/admin" not in text(home)
    for path in (
        "/ui/admin",
        "/ui/admin/principal?kind=user&name=x",
        "/ui/admin/webhooks",
        "/ui/admin/audit",
    ):
        assert get(client, path, cookie).status_code == 404, path
    # With the viewer's own valid token, the server still refuses every change.
    csrf = csrf_of(home)
    for fields in (
        {"do": "robot.create", "name": "sneaky", "pattern": "*", "level": "admin"},
        {"do": "grant", "kind": "user", "name": reader.username or "", "pattern": "*"},
        {"do": "public.add", "pattern": "*"},
    ):
        refused = post(client, cookie, {"csrf": csrf, "level": "admin", **fields})
        assert refused.status_code == 403, fields
    assert principals.details("robot", "sneaky") is None
    assert principals.public_patterns() == []
    stored = principals.load("user", reader.username or "")
    assert stored is not None and [g.pattern for g in stored.principal.grants] == [repo]
    # Not signed in: to the sign-in page, and nothing changes.
    assert post(client, "", {"do": "public.add", "pattern": "*"}).status_code == 303
    assert principals.public_patterns() == []


def test_admin_forms_need_the_pages_token(client: Any, signed_in_auth: None) -> None:
    from chalicelib.auth import principals

    admin = user("admin", [("*", Level.ADMIN)])
    cookie = session_of(client, admin)
    forged = post(client, cookie, {"csrf": "forged", "do": "public.add", "pattern": "x/*"})
    assert forged.status_code == 403
    missing = post(client, cookie, {"do": "public.add", "pattern": "x/*"})
    assert missing.status_code == 403
    assert principals.public_patterns() == []


def test_webhooks_and_their_delivery_log(client: Any) -> None:
    from chalicelib.events import deliver, webhooks
    from chalicelib.events.http_post import Outcome
    from chalicelib.storage.keys import webhook_log_pk

    created = webhooks.create(
        url="https://hooks.example.com/berth", patterns=["team/*"], events=["PUSH"]
    )
    hook = webhooks.id_of(created.item)
    message = {"id": "evt-1", "type": "image.pushed", "attempt": 1}
    deliver._log(webhook_log_pk(hook), message, Outcome(502, 12, "bad gateway"), 1_700_000_000)
    page = text(get(client, "/ui/admin/webhooks"))
    assert "https://hooks.example.com/berth" in page and created.secret not in page
    log = get(client, f"/ui/admin/webhooks?id={hook}")
    assert "image.pushed" in text(log) and "502" in text(log) and "bad gateway" in text(log)
    assert "No such webhook" in text(get(client, "/ui/admin/webhooks?id=nope"))
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, "/ui/admin/webhooks").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
        with recorder.window() as tally:
            assert get(client, f"/ui/admin/webhooks?id={hook}").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query", "dynamodb:Query"]


def test_the_audit_log_with_filters(client: Any, repo: str, signed_in_auth: None) -> None:
    admin = user("admin", [("*", Level.ADMIN)])
    cookie = session_of(client, admin)
    csrf = csrf_of(get(client, "/ui/admin", cookie))
    post(client, cookie, {"csrf": csrf, "do": "public.add", "pattern": f"{repo}/*"})
    post(client, cookie, {"csrf": csrf, "do": "public.add", "pattern": "other/*"})

    def rows(query: dict[str, str]) -> list[str]:
        page = get(client, "/ui/admin/audit?" + urlencode(query), cookie)
        assert page.status_code == 200, text(page)
        body = text(page).split('id="audit"', 1)[1].split("</table>", 1)[0]
        return re.findall(r"<tr><td>(.*?)</tr>", body)

    everything = rows({})
    assert any("public.add" in r for r in everything) and any("login" in r for r in everything)
    mine = rows({"action": "public"})
    assert len(mine) == 2 and all("public.add" in r for r in mine)
    assert all((admin.username or "-") in r for r in rows({"who": admin.username or ""}))
    assert rows({"who": "nobody-at-all"}) == []
    assert rows({"since": "2001-01-01", "until": "2001-01-02"}) == []
    assert get(client, "/ui/admin/audit?since=yesterday", cookie).status_code == 400
    assert get(client, "/ui/admin/audit?repository=Bad..Name", cookie).status_code == 400
    wide = "/ui/admin/audit?since=2001-01-01&until=2002-01-01"
    assert get(client, wide, cookie).status_code == 400  # a registry-wide range is bounded


def test_admin_pages_make_bounded_aws_calls(client: Any, repo: str) -> None:
    from chalicelib.auth import principals

    push_image(client, repo, "v1")
    principals.create_user("dora", "long-enough-pw")
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, "/ui/admin").status_code == 200
        # the directory, the public patterns
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query", "dynamodb:Query"]
        with recorder.window() as tally:
            assert get(client, "/ui/admin/principal?kind=user&name=dora").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
        with recorder.window() as tally:
            assert get(client, f"/ui/admin/audit?repository={repo}").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
        with recorder.window() as tally:
            assert get(client, "/ui/admin/audit").status_code == 200
        # the registry-wide feed: one Query per day of the default week, at most
        assert 1 <= len(tally.calls) <= 8
        assert {c.describe() for c in tally.calls} == {"dynamodb:Query"}
