"""Who pushed: the repositories page's last push and the tags table's Pushed name the
principal, from the items those pages read anyway (the repository's counters, the tag's own
item), so neither page makes another call; a rollback names who rolled back."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.auth.permissions import Level
from tests.api.helpers import image, push_blob, push_image
from tests.auth.gate_support import bearer, token_of, user
from tests.web.test_pages import _sign_in, get, text


def test_pages_name_who_pushed_and_who_rolled_back(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.auth.gate_support import _reset

    first = push_image(client, repo, "v1")  # auth off: nobody to name
    second = image()
    for blob in second.blobs:
        push_blob(client, repo, blob)
    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    try:
        pusher = user("pusher", [(repo, Level.PUSH)])
        roller = user("roller", [(repo, Level.PUSH)])
        granted = token_of(client, pusher, [f"repository:{repo}:pull,push"])
        assert granted is not None
        answer = client.http.put(
            f"/v2/{repo}/manifests/v1",
            headers={"content-type": second.media_type, **bearer(granted)},
            body=second.body,
        )
        assert answer.status_code == 201, answer.body

        signed = _sign_in(client, roller.username or "", roller.secret or "")
        session = signed.headers["Set-Cookie"].split(";")[0]
        home = text(get(client, "/ui", session))
        row = home.split(f">{repo}</a>", 1)[1].split("</tr>", 1)[0]
        assert f"by user:{pusher.username}" in row
        tags = text(get(client, f"/ui/repository?name={repo}", session))
        assert f"by user:{pusher.username}" in tags

        page = text(get(client, f"/ui/history?name={repo}&tag=v1", session))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        form = {"name": repo, "tag": "v1", "to": first.digest, "csrf": csrf.group(1)}
        done = client.http.post(
            "/ui/rollback",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": session},
            body=urlencode(form).encode(),
        )
        assert done.status_code == 303
        tags = text(get(client, f"/ui/repository?name={repo}", session))
        assert f"by user:{roller.username}" in tags and f"by user:{pusher.username}" not in tags
        # A rollback is not a push: the repository's last push is still the pusher's.
        home = text(get(client, "/ui", session))
        assert f"by user:{pusher.username}" in home.split(f">{repo}</a>", 1)[1].split("</tr>", 1)[0]
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()
    unnamed = text(get(client, f"/ui/repository?name={repo}"))
    assert f"by user:{roller.username}" in unnamed  # recorded, whoever looks


def test_a_push_with_auth_off_names_nobody(client: Any, repo: str) -> None:
    push_image(client, repo, "v1")
    tags = text(get(client, f"/ui/repository?name={repo}"))
    row = tags.split('id="tags"', 1)[1].split("</table>", 1)[0]
    assert " by " not in row
