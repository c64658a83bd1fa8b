"""Repository settings through the in-process app: immutability with its exclusion list, the
lifecycle policy saved only after its dry-run preview (which deletes nothing), both audited;
refused to anyone without admin on the repository; AWS calls counted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.awscalls import recording
from chalicelib.auth.permissions import Level
from tests.api.helpers import push_image
from tests.auth.gate_support import user
from tests.web.test_admin_pages import auth_enabled, csrf_of, post, session_of
from tests.web.test_pages import get, text

KEEP_ONE = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["v*"],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
        }
    ]
}


def test_immutability_shows_its_exclusions_and_saves(client: Any, repo: str) -> None:
    from chalicelib.audit import store
    from chalicelib.audit.events import repository_key
    from chalicelib.storage import repo_settings

    push_image(client, repo, "v1")
    page = get(client, f"/ui/settings?name={repo}")
    assert page.status_code == 200 and "mutable" in text(page)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    fields = {
        "csrf": csrf_of(page),
        "do": "immutability",
        "name": repo,
        "immutable": "1",
        "exclude": "latest\ndev-*\n",
    }
    saved = post(client, cookie, fields, "/ui/settings")
    assert saved.status_code == 303
    rules = repo_settings.get(repo)
    assert rules.immutable and rules.exclude == ("latest", "dev-*")
    again = text(get(client, f"/ui/settings?name={repo}", cookie))
    assert 'id="exclusions"' in again and "<code>dev-*</code>" in again
    events, _ = store.query(repository_key(repo), limit=5)
    assert events[0].action == "settings.change"
    bad = post(client, cookie, {**fields, "exclude": "no spaces allowed"}, "/ui/settings")
    assert bad.status_code == 400 and repo_settings.get(repo).exclude == ("latest", "dev-*")
    forged = post(client, cookie, {**fields, "csrf": "x", "immutable": ""}, "/ui/settings")
    assert forged.status_code == 403 and repo_settings.get(repo).immutable


def test_lifecycle_is_previewed_before_it_is_saved(client: Any, repo: str) -> None:
    from chalicelib.lifecycle import store
    from chalicelib.storage import tags

    for tag in ("v1", "v2", "v3"):
        push_image(client, repo, tag)
    page = get(client, f"/ui/settings?name={repo}")
    cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = csrf_of(page)
    policy = json.dumps(KEEP_ONE)
    base = {"csrf": csrf, "name": repo}
    preview = post(
        client, cookie, {**base, "do": "lifecycle.preview", "policy": policy}, "/ui/settings"
    )
    assert preview.status_code == 200
    shown = text(preview)
    assert "it would delete 2 now" in shown and 'id="would-expire"' in shown
    assert 'id="lifecycle-save"' in shown
    assert len(tags.listing(repo, 10)[0]) == 3  # a preview deletes nothing
    assert store.get(repo).rules == []  # nor saves anything

    save = {**base, "do": "lifecycle.save", "policy": policy, "version": "0"}
    assert post(client, cookie, save, "/ui/settings").status_code == 303
    assert len(store.get(repo).rules) == 1
    assert len(tags.listing(repo, 10)[0]) == 3  # saving runs nothing either
    stale = post(client, cookie, save, "/ui/settings")
    assert stale.status_code == 409  # saved since that preview: preview again

    for broken in ("{not json", json.dumps({"rules": [{"rulePriority": "x"}]})):
        answer = post(
            client, cookie, {**base, "do": "lifecycle.preview", "policy": broken}, "/ui/settings"
        )
        assert answer.status_code == 400
    assert get(client, "/ui/settings?name=Bad..Name").status_code == 400


def test_settings_are_refused_without_admin_on_the_repository(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_image(client, repo, "v1")
    with auth_enabled(monkeypatch):
        _refused_then_allowed(client, repo)


def _refused_then_allowed(client: Any, repo: str) -> None:
    from chalicelib.storage import repo_settings

    pusher = user("pusher", [(repo, Level.PUSH)])
    cookie = session_of(client, pusher)
    tags_page = get(client, f"/ui/repository?name={repo}", cookie)
    assert "settings-link" not in text(tags_page)
    assert get(client, f"/ui/settings?name={repo}", cookie).status_code == 403
    fields = {"csrf": csrf_of(tags_page), "do": "immutability", "name": repo, "immutable": "1"}
    assert post(client, cookie, fields, "/ui/settings").status_code == 403
    assert not repo_settings.get(repo).immutable

    owner = user("owner", [(repo, Level.ADMIN)])
    owner_cookie = session_of(client, owner)
    assert "settings-link" in text(get(client, f"/ui/repository?name={repo}", owner_cookie))
    page = get(client, f"/ui/settings?name={repo}", owner_cookie)
    assert page.status_code == 200
    done = post(client, owner_cookie, {**fields, "csrf": csrf_of(page)}, "/ui/settings")
    assert done.status_code == 303 and repo_settings.get(repo).immutable


def test_settings_pages_make_bounded_aws_calls(client: Any, repo: str) -> None:
    push_image(client, repo, "v1")
    page = get(client, f"/ui/settings?name={repo}")
    cookie = page.headers["Set-Cookie"].split(";")[0]
    fields = {"csrf": csrf_of(page), "name": repo, "do": "lifecycle.preview"}
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, f"/ui/settings?name={repo}", cookie).status_code == 200
        # the lifecycle policy, the immutability rules
        assert [c.describe() for c in tally.calls] == ["dynamodb:GetItem", "dynamodb:GetItem"]
        with recorder.window() as tally:
            body = {**fields, "policy": json.dumps(KEEP_ONE)}
            assert post(client, cookie, body, "/ui/settings").status_code == 200
        # the stored policy's version, then the dry run: the repository's one snapshot Query
        assert [c.describe() for c in tally.calls] == ["dynamodb:GetItem", "dynamodb:Query"]
