"""Refresh tokens end with the principal generation they were issued to (issue 11, D1).

The repro of the issue: carol gets a refresh token (`offline_token=true`); then her password
changes, or she is deleted and a new carol is created with other grants; the old refresh
token used to be redeemed (200, with the new account's grants). Each change that can take
access away must end it: password change, delete (and re-create), a grant that lowers
access, a grant removed, disable, robot revoke."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.auth import principals
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, form, robot, token, unique, user


def _scope(repo: str) -> list[str]:
    return [f"repository:{repo}:pull"]


def _offline(client: Any, caller: Caller, repo: str) -> str:
    response = token(client, caller, _scope(repo), offline_token="true")
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["refresh_token"])


def _redeem(client: Any, refresh_token: str, repo: str) -> Any:
    fields = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "service": "berth",
        "scope": _scope(repo)[0],
    }
    return form(client, fields)


def _name(caller: Caller) -> str:
    assert caller.username is not None
    return caller.username.removeprefix("robot$")


CHANGES: dict[str, Callable[[str, str], None]] = {
    "password change": lambda name, repo: principals.set_password(name, "another-pw-123456"),
    "grant that lowers access": lambda name, repo: principals.grant("user", name, repo, Level.NONE),
    "grant removed": lambda name, repo: principals.revoke_grant("user", name, repo),
    "disable": lambda name, repo: principals.set_disabled("user", name),
    "delete": lambda name, repo: principals.delete("user", name),
}


def test_an_unchanged_principal_keeps_its_refresh_token(
    client: Any, auth_on: None, repo: str
) -> None:
    carol = user("carol", [(repo, Level.PULL)])
    refresh_token = _offline(client, carol, repo)
    for _ in range(2):
        assert _redeem(client, refresh_token, repo).status_code == 200


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_ends_the_refresh_tokens(
    client: Any, auth_on: None, repo: str, change: str
) -> None:
    carol = user("carol", [(repo, Level.PULL)])
    refresh_token = _offline(client, carol, repo)
    CHANGES[change](_name(carol), repo)
    assert _redeem(client, refresh_token, repo).status_code == 401
    if change == "disable":  # and enabling again does not bring it back
        principals.set_disabled("user", _name(carol), False)
        assert _redeem(client, refresh_token, repo).status_code == 401


def test_the_issue_repro_password_change_through_the_admin_api(
    client: Any, auth_on: None, repo: str
) -> None:
    admin = user("admin", [("*", Level.ADMIN)])
    carol = user("carol", [(repo, Level.PULL)])
    refresh_token = _offline(client, carol, repo)
    response = client.http.put(
        f"/v2/_berth/admin/users/{_name(carol)}/password",
        headers={**admin.basic(), "Content-Type": "application/json"},
        body=json.dumps({"password": "a-new-password-for-carol"}),
    )
    assert response.status_code in (200, 204), response.body
    assert _redeem(client, refresh_token, repo).status_code == 401


def test_a_recreated_name_never_inherits_old_tokens(client: Any, auth_on: None, repo: str) -> None:
    name, password = unique("carol"), "carol-password-1"
    principals.create_user(name, password, grants=[(repo, Level.PULL, None)])
    carol = Caller("carol", name, password)
    refresh_token = _offline(client, carol, repo)
    principals.delete("user", name)
    # The same name, the same password, even wider grants: still another principal.
    principals.create_user(name, password, grants=[("*", Level.PUSH, None)])
    assert _redeem(client, refresh_token, repo).status_code == 401
    assert _redeem(client, _offline(client, carol, repo), repo).status_code == 200


def test_a_revoked_robot_loses_its_refresh_tokens(client: Any, auth_on: None, repo: str) -> None:
    ci = robot("ci", [(repo, Level.PULL)])
    refresh_token = _offline(client, ci, repo)
    assert _redeem(client, refresh_token, repo).status_code == 200
    principals.revoke_robot(_name(ci))
    assert _redeem(client, refresh_token, repo).status_code == 401


def test_an_iam_callers_refresh_token_ends_with_a_change_to_its_mapping(
    client: Any, auth_on: None, repo: str
) -> None:
    import boto3

    from berth.iam_login import login_password

    mapping = unique("m")
    principals.create_iam_mapping(mapping, "arn:aws:*::123456789012:*")
    principals.grant("iam", mapping, repo, Level.PULL)
    try:
        password = login_password(boto3.client("sts", region_name="us-east-1"), "berth")
        refresh_token = _offline(client, Caller("iam", "aws", password), repo)
        assert _redeem(client, refresh_token, repo).status_code == 200
        principals.grant("iam", mapping, repo, Level.NONE)
        assert _redeem(client, refresh_token, repo).status_code == 401
    finally:
        principals.delete("iam", mapping)
