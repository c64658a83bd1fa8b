"""A robot logs in as `robot$ci` or as `robot:ci`, the spelling the audit prints (issue 18 §3),
through every door a login comes in by: the token endpoint's Basic credentials, Basic on the
API itself, and the OAuth2 password form. Basic cannot carry a colon in the name (RFC 7617),
so `robot:ci:SECRET` arrives as the user `robot` with `ci:SECRET`: the robot is tried first,
then the user `robot`, and neither is taken for the other."""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib.auth import principals
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, basic, bearer, form, robot, token, unique


def _subject_spelling(caller: Caller) -> Caller:
    assert caller.username is not None and caller.username.startswith("robot$")
    return Caller(caller.role, "robot:" + caller.username[len("robot$") :], caller.secret)


def test_robot_colon_name_logs_in_everywhere(client: Any, auth_on: None) -> None:
    repo, other = f"{unique('t')}/app", f"{unique('t')}/other"
    ci = robot("robot", [(repo, Level.PUSH)])
    colon = _subject_spelling(ci)

    for caller in (ci, colon):
        answer = token(client, caller, [f"repository:{repo}:push,pull"])
        assert answer.status_code == 200, (caller.username, answer.body)
        granted = json.loads(answer.body)["token"]
        tags = client.http.get(f"/v2/{repo}/tags/list", headers=bearer(granted))
        assert tags.status_code == 404  # allowed: the repository is empty
        # Basic on the API itself, without a token.
        assert client.http.get(f"/v2/{repo}/tags/list", headers=caller.basic()).status_code == 404
        assert client.http.get(f"/v2/{other}/tags/list", headers=caller.basic()).status_code == 403
        posted = form(
            client,
            {
                "grant_type": "password",
                "service": "berth",
                "username": str(caller.username),
                "password": str(caller.secret),
                "scope": f"repository:{repo}:pull",
            },
        )
        assert posted.status_code == 200, posted.body

    wrong = Caller("robot", colon.username, "not-the-secret")
    assert token(client, wrong, [f"repository:{repo}:pull"]).status_code == 401
    assert client.http.get(f"/v2/{repo}/tags/list", headers=wrong.basic()).status_code == 401


def test_a_user_named_robot_still_logs_in_with_a_colon_in_its_password(
    client: Any, auth_on: None
) -> None:
    repo = f"{unique('t')}/app"
    password = f"ci:{uuid.uuid4().hex}"  # reads like `robot:ci`'s Basic credentials
    principals.create_user("robot", password)
    principals.grant("user", "robot", repo, Level.PULL)
    headers = basic("robot", password)
    assert client.http.get(f"/v2/{repo}/tags/list", headers=headers).status_code == 404
    found = principals.authenticate("robot", password)
    assert found is not None and found.kind == "user"
