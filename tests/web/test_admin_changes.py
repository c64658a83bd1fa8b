"""The changes the CLI could make and the pages could not, through the in-process app: an
admin disables, enables and sets the password of a user; a user changes their own password
(the current one asked again); an admin creates a webhook (its secret shown once), pauses it
and sends it a test delivery. Each is audited like the CLI's change, CSRF-checked, refused to
non-admins (403) and in a standby region (405)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.auth.permissions import Level
from chalicelib.config import settings
from tests.auth.gate_support import user
from tests.web.test_admin_pages import csrf_of, post, session_of, signed_in_auth  # noqa: F401
from tests.web.test_pages import _sign_in, get, text


def _audited(action: str, subject: str | None = None, webhook: str | None = None) -> list[Any]:
    """This test's events of `action` (other tests in the process may have written the same
    action: their subjects and webhooks differ)."""
    from chalicelib.audit import store
    from chalicelib.storage.clock import now

    found, _ = store.query_registry(limit=500, today=now().date())
    return [
        ev
        for ev in found
        if ev.action == action
        and (subject is None or ev.subject == subject)
        and (webhook is None or (ev.detail or {}).get("webhook") == webhook)
    ]


def test_an_admin_disables_enables_and_sets_a_password(
    client: Any,
    signed_in_auth: None,  # noqa: F811
) -> None:
    from chalicelib.auth import principals

    admin = user("admin", [("*", Level.ADMIN)])
    person = user("person", [("team/*", Level.PULL)])
    name = person.username or ""
    cookie = session_of(client, admin)
    page = get(client, f"/ui/admin/principal?kind=user&name={name}", cookie)
    assert 'id="set-password"' in text(page) and "disable this user" in text(page)
    csrf = csrf_of(page)
    who = {"csrf": csrf, "kind": "user", "name": name}
    done = post(client, cookie, {**who, "do": "disable"})
    assert done.status_code == 303 and "done=disable" in done.headers["Location"]
    assert principals.authenticate(name, person.secret or "") is None
    assert _sign_in(client, name, person.secret or "").status_code == 401
    shown = text(get(client, f"/ui/admin/principal?kind=user&name={name}", cookie))
    assert "disabled" in shown and "enable this user" in shown
    assert post(client, cookie, {**who, "do": "enable"}).status_code == 303
    assert principals.authenticate(name, person.secret or "") is not None
    short = post(client, cookie, {**who, "do": "user.password", "password": "short"})
    assert short.status_code == 400 and "8 to 1024" in text(short)
    changed = post(client, cookie, {**who, "do": "user.password", "password": "n3w-password"})
    assert changed.status_code == 303
    assert principals.authenticate(name, person.secret or "") is None
    assert principals.authenticate(name, "n3w-password") is not None
    for action in ("user.disable", "user.enable", "user.password"):
        [event] = _audited(action, subject=f"user:{name}")
        assert event.who == f"user:{admin.username}"
    # Not yourself: no button, and the post is refused.
    own = text(get(client, f"/ui/admin/principal?kind=user&name={admin.username}", cookie))
    assert "disable this user" not in own
    mine = {"csrf": csrf, "kind": "user", "name": admin.username or "", "do": "disable"}
    assert post(client, cookie, mine).status_code == 403


def test_a_user_changes_their_own_password(
    client: Any,
    signed_in_auth: None,  # noqa: F811
) -> None:
    from chalicelib.auth import principals

    person = user("person", [("team/*", Level.PULL)])
    name, secret = person.username or "", person.secret or ""
    cookie = session_of(client, person)
    home = get(client, "/ui", cookie)
    assert 'href="/ui/account"' in text(home)
    page = get(client, "/ui/account", cookie)
    assert page.status_code == 200 and 'id="change-password"' in text(page)
    csrf = csrf_of(page)
    fields = {"csrf": csrf, "current": secret, "password": "n3w-password", "again": "n3w-password"}
    wrong = post(client, cookie, {**fields, "current": "not-it"}, "/ui/account")
    assert wrong.status_code == 403 and "current password is not right" in text(wrong)
    differ = post(client, cookie, {**fields, "again": "other-password"}, "/ui/account")
    assert differ.status_code == 400 and "differ" in text(differ)
    forged = post(client, cookie, {**fields, "csrf": "forged"}, "/ui/account")
    assert forged.status_code == 403
    assert principals.authenticate(name, secret) is not None  # nothing changed so far
    changed = post(client, cookie, fields, "/ui/account")
    assert changed.status_code == 303 and changed.headers["Location"] == "/ui/account?done=1"
    assert principals.authenticate(name, "n3w-password") is not None
    assert principals.authenticate(name, secret) is None
    # The old session ended with the change; the answer carries a new one.
    assert get(client, "/ui", cookie).status_code == 303
    fresh = str(changed.headers["Set-Cookie"]).split(";")[0]
    assert "changed" in text(get(client, "/ui/account?done=1", fresh))
    [event] = _audited("user.password", subject=f"user:{name}")
    assert event.who == f"user:{name}"


def test_robots_have_no_password_here(client: Any, signed_in_auth: None) -> None:  # noqa: F811
    from chalicelib.auth import principals

    admin = user("admin", [("*", Level.ADMIN)])
    principals.create_robot("bot", grants=[("team/*", Level.PULL, None)])
    secret = principals.rotate_robot_secret("bot")
    cookie = session_of(client, admin)
    assert get(client, "/ui/account", cookie).status_code == 200
    answer = _sign_in(client, "robot$bot", secret)
    robot = str(answer.headers["Set-Cookie"]).split(";")[0]
    assert get(client, "/ui/account", robot).status_code == 404
    assert 'href="/ui/account"' not in text(get(client, "/ui", robot))


def test_an_admin_creates_pauses_and_tests_a_webhook(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.events import http_post, webhooks
    from chalicelib.events.deliver import deliveries

    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def receiver(url: str, body: bytes, headers: dict[str, str], **_: Any) -> Any:
        sent.append((url, body, headers))
        return http_post.Outcome(204, 3)

    monkeypatch.setattr(http_post, "post", receiver)
    page = get(client, "/ui/admin/webhooks")
    assert 'id="create-webhook"' in text(page)
    cookie = str(page.headers["Set-Cookie"]).split(";")[0]
    csrf = csrf_of(page)
    fields = {
        "csrf": csrf,
        "do": "create",
        "url": "https://hooks.example.com/berth",
        "repositories": "team/*, prod/app",
        "event.PUSH": "1",
        "event.DELETE": "1",
        "format": "cloudevents",
        "description": "deploys",
    }
    bad = post(client, cookie, {**fields, "url": "ftp://x"}, "/ui/admin/webhooks")
    assert bad.status_code == 400 and webhooks.list_all() == []
    created = post(client, cookie, fields, "/ui/admin/webhooks")
    assert created.status_code == 201
    secret = re.search(r'<code id="webhook-secret">([^<]+)</code>', text(created))
    [item] = webhooks.list_all()
    assert secret is not None and item.secret == secret.group(1)
    assert list(item.patterns) == ["team/*", "prod/app"] and sorted(item.events) == [
        "DELETE",
        "PUSH",
    ]
    assert item.body_format == "cloudevents" and item.enabled
    hook = webhooks.id_of(item)
    assert secret.group(1) not in text(get(client, "/ui/admin/webhooks", cookie))
    action = {"csrf": csrf, "id": hook}
    paused = post(client, cookie, {**action, "do": "disable"}, "/ui/admin/webhooks")
    assert paused.status_code == 303 and not webhooks.get(hook).enabled
    assert "Paused" in text(get(client, paused.headers["Location"], cookie))
    assert post(client, cookie, {**action, "do": "enable"}, "/ui/admin/webhooks").status_code == 303
    assert webhooks.get(hook).enabled
    tested = post(client, cookie, {**action, "do": "test"}, "/ui/admin/webhooks")
    assert tested.status_code == 303 and tested.headers["Location"].endswith("done=test.ok")
    assert [s[0] for s in sent] == ["https://hooks.example.com/berth"]
    assert [d.event_type for d in deliveries(hook)] == ["webhook.ping"]
    log = text(get(client, tested.headers["Location"], cookie))
    assert "answered with success" in log and "webhook.ping" in log
    for kind in ("webhook.add", "webhook.disable", "webhook.enable"):
        [event] = _audited(kind, webhook=hook)
        assert event.detail["url"] == "https://hooks.example.com/berth"
    missing = post(client, cookie, {**action, "id": "0" * 16, "do": "test"}, "/ui/admin/webhooks")
    assert missing.status_code == 404
    odd = post(client, cookie, {**action, "id": "../x", "do": "test"}, "/ui/admin/webhooks")
    assert odd.status_code == 400


def test_non_admins_and_standbys_change_nothing(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.events import webhooks
    from tests.web.test_admin_pages import auth_enabled

    with auth_enabled(monkeypatch):
        reader = user("reader", [("team/*", Level.PUSH)])
        cookie = session_of(client, reader)
        csrf = csrf_of(get(client, "/ui", cookie))
        create = {"csrf": csrf, "do": "create", "url": "https://h.example", "repositories": "*"}
        assert post(client, cookie, create, "/ui/admin/webhooks").status_code == 403
        disable = {"csrf": csrf, "do": "disable", "kind": "user", "name": "admin"}
        assert post(client, cookie, disable).status_code == 403
        assert webhooks.list_all() == []
    page = get(client, "/ui/admin/webhooks")
    cookie = str(page.headers["Set-Cookie"]).split(";")[0]
    csrf = csrf_of(page)
    monkeypatch.setenv("BERTH_REGION_ROLE", "standby")
    monkeypatch.setenv("BERTH_PRIMARY_URL", "https://primary.example")
    settings.cache_clear()
    try:
        create = {"csrf": csrf, "do": "create", "url": "https://h.example", "repositories": "*"}
        refused = post(client, cookie, create, "/ui/admin/webhooks")
        assert refused.status_code == 405 and "read-only standby" in text(refused)
        password = {"csrf": csrf, "do": "user.password", "name": "x", "password": "12345678"}
        assert post(client, cookie, password).status_code == 405
        assert webhooks.list_all() == []
    finally:
        monkeypatch.delenv("BERTH_REGION_ROLE")
        monkeypatch.delenv("BERTH_PRIMARY_URL")
        settings.cache_clear()
