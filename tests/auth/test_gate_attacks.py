"""Tokens and credentials that must not pass, on real routes with auth on; the token endpoint's
grants; mounts, the catalog; and the AWS calls a warm function makes to check a token."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from chalicelib.auth.permissions import Level
from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import LocalSigner, b64url_encode, issue
from chalicelib.remote.challenge import parse_challenge

# Some tests here push: leave no repository behind for another module's `_catalog`.
from tests.api.conftest import _empty_table_after_test  # noqa: F401
from tests.api.helpers import push_blob, random_bytes
from tests.auth.gate_support import (
    Caller,
    basic,
    bearer,
    form,
    token,
    token_of,
    unique,
    user,
)


@pytest.fixture
def repo() -> str:
    return f"{unique('at')}/app"


def _pull_scope(repo: str) -> list[str]:
    return [f"repository:{repo}:pull"]


def _claims_of(token_text: str) -> dict[str, Any]:
    payload = token_text.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _challenge(response: Any) -> dict[str, str]:
    scheme, params = parse_challenge(response.headers["WWW-Authenticate"])
    assert scheme == "Bearer"
    return params


def test_challenge_names_realm_service_and_scope(client: Any, auth_on: None, repo: str) -> None:
    response = client.http.get(
        f"/v2/{repo}/tags/list",
        headers={"Host": "registry.example.com:8443", "X-Forwarded-Proto": "http"},
    )
    assert response.status_code == 401
    params = _challenge(response)
    assert params == {
        "realm": "http://registry.example.com:8443/token",
        "service": "berth",
        "scope": f"repository:{repo}:pull",
    }
    body = json.loads(response.body)
    assert body["errors"][0]["code"] == "UNAUTHORIZED"


def test_bad_tokens_are_refused_on_real_routes(client: Any, auth_on: None, repo: str) -> None:
    from chalicelib.auth import gate

    reader = user("reader", [(repo, Level.PULL)])
    good = token_of(client, reader, _pull_scope(repo))
    assert good is not None
    path = f"/v2/{repo}/tags/list"
    assert client.http.get(path, headers=bearer(good)).status_code == 404  # passes: no repo

    head, payload, signature = good.split(".")
    claims = _claims_of(good)
    access = [ResourceScope("repository", repo, ("pull",))]

    def forged(header: dict[str, Any], body: dict[str, Any], sig: str = signature) -> str:
        return ".".join(
            [
                b64url_encode(json.dumps(header).encode()),
                b64url_encode(json.dumps(body).encode()),
                sig,
            ]
        )

    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    widened = {**claims, "access": [{"type": "repository", "name": repo, "actions": ["*"]}]}
    now = time.time()
    signer = gate.signer()
    bad = {
        "tampered payload": forged(header, widened),
        "tampered signature": f"{head}.{payload}.{signature[:-4]}AAAA",
        "alg none": forged({**header, "alg": "none"}, claims, ""),
        "alg HS256": forged({**header, "alg": "HS256"}, claims),
        "another key": issue(
            LocalSigner(), issuer="berth", subject="user:x", audience="berth", access=access
        )[0],
        "another audience": issue(
            signer, issuer="berth", subject=claims["sub"], audience="other", access=access
        )[0],
        "another issuer": issue(
            signer, issuer="evil", subject=claims["sub"], audience="berth", access=access
        )[0],
        "expired": issue(
            signer,
            issuer="berth",
            subject=claims["sub"],
            audience="berth",
            access=access,
            ttl=60,
            now=now - 3600,
        )[0],
        "not a jwt": "abc",
        "empty": "",
    }
    for what, text in bad.items():
        response = client.http.get(path, headers=bearer(text))
        assert response.status_code == 401, what
        params = _challenge(response)
        if text:
            assert params.get("error") == "invalid_token", what


def test_malformed_authorization_headers(client: Any, auth_on: None, repo: str) -> None:
    path = f"/v2/{repo}/tags/list"
    for value in [
        "Basic",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":password-only").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Bearer",
        "Bearer a.b",
        "Digest username=x",
        "garbage",
        "Basic " + "A" * 20000,
    ]:
        response = client.http.get(path, headers={"Authorization": value})
        assert response.status_code == 401, value
        assert "Bearer realm=" in response.headers["WWW-Authenticate"]


def test_scope_escalation_is_cut_to_what_is_held(client: Any, auth_on: None, repo: str) -> None:
    reader = user("reader", [(repo, Level.PULL)])
    other = f"{unique('esc')}/secret"
    response = token(
        client,
        reader,
        [
            f"repository:{repo}:pull,push,delete,*",
            f"repository:{other}:pull",
            "registry:catalog:*",
            "repository(plugin):x/y:pull",
            "admin:everything:*",
        ],
    )
    assert response.status_code == 200
    access = _claims_of(json.loads(response.body)["token"])["access"]
    assert access == [
        {"type": "repository", "name": repo, "actions": ["pull"]},
        {"type": "registry", "name": "catalog", "actions": ["*"]},
    ]
    granted = json.loads(response.body)["token"]
    # The token pulls, but cannot push: 403 (a new token would not help).
    assert client.http.post(f"/v2/{repo}/blobs/uploads/", headers=bearer(granted)).status_code == (
        403
    )
    assert client.http.get(f"/v2/{other}/tags/list", headers=bearer(granted)).status_code == 403


def test_token_short_of_a_held_scope_asks_for_a_new_one(
    client: Any, auth_on: None, repo: str
) -> None:
    writer = user("writer", [(repo, Level.PUSH)])
    pull_only = token_of(client, writer, _pull_scope(repo))
    assert pull_only is not None
    response = client.http.post(f"/v2/{repo}/blobs/uploads/", headers=bearer(pull_only))
    assert response.status_code == 401
    params = _challenge(response)
    assert params["error"] == "insufficient_scope"
    assert params["scope"] == f"repository:{repo}:push"


def test_token_endpoint_refusals(client: Any, auth_on: None, repo: str) -> None:
    reader = user("reader", [(repo, Level.PULL)])
    assert token(client, reader, _pull_scope(repo), service="other").status_code == 400
    assert token(client, reader, ["repository:UPPER:pull"]).status_code == 400
    assert token(client, reader, ["repository:a::b:pull"]).status_code == 400
    wrong = Caller("x", reader.username, "wrong")
    assert token(client, wrong, _pull_scope(repo)).status_code == 401
    # A port colon in the name parses (and grants nothing here).
    response = token(client, reader, ["repository:localhost:5000/app:pull"])
    assert response.status_code == 200
    assert json.loads(response.body)["scope"] == ""


def test_oauth2_form_password_and_refresh(client: Any, auth_on: None, repo: str) -> None:
    writer = user("writer", [(repo, Level.PUSH)])
    assert writer.username and writer.secret
    fields = {
        "grant_type": "password",
        "service": "berth",
        "client_id": "podman",
        "scope": f"repository:{repo}:pull,push",
        "username": writer.username,
        "password": writer.secret,
        "access_type": "offline",
    }
    response = form(client, fields)
    assert response.status_code == 200, response.body
    answer = json.loads(response.body)
    assert answer["access_token"] == answer["token"] and answer["expires_in"] >= 60
    assert _claims_of(answer["token"])["access"][0]["actions"] == ["pull", "push"]
    refreshed = form(
        client,
        {
            "grant_type": "refresh_token",
            "service": "berth",
            "refresh_token": answer["refresh_token"],
            "scope": f"repository:{repo}:pull",
        },
    )
    assert refreshed.status_code == 200
    assert _claims_of(json.loads(refreshed.body)["token"])["sub"] == f"user:{writer.username}"
    bad = form(client, {"grant_type": "refresh_token", "refresh_token": "brt1.x.y"})
    assert bad.status_code == 401
    assert form(client, {**fields, "password": "wrong"}).status_code == 401
    assert form(client, {"grant_type": "client_credentials"}).status_code == 400
    # GET with offline_token=true gives a refresh token too.
    offline = token(client, writer, _pull_scope(repo), offline_token="true")
    assert "refresh_token" in json.loads(offline.body)


def test_refresh_dies_with_its_principal(client: Any, auth_on: None, repo: str) -> None:
    from chalicelib.auth import principals

    writer = user("writer", [(repo, Level.PUSH)])
    answer = json.loads(token(client, writer, _pull_scope(repo), offline_token="true").body)
    assert writer.username
    principals.set_disabled("user", writer.username)
    response = form(
        client, {"grant_type": "refresh_token", "refresh_token": answer["refresh_token"]}
    )
    assert response.status_code == 401


def test_basic_straight_to_v2_and_push_only_where_allowed(
    client: Any, auth_on: None, repo: str
) -> None:
    writer = user("writer", [(repo, Level.PUSH)])
    elsewhere = f"{unique('nw')}/app"
    ok = client.http.post(f"/v2/{repo}/blobs/uploads/", headers=writer.basic())
    assert ok.status_code == 202
    refused = client.http.post(f"/v2/{elsewhere}/blobs/uploads/", headers=writer.basic())
    assert refused.status_code == 403
    assert json.loads(refused.body)["errors"][0]["code"] == "DENIED"
    response = client.http.get("/v2/", headers=basic(writer.username or "", "wrong"))
    assert response.status_code == 401


def test_mount_without_pull_on_the_source_opens_a_session(
    client: Any, auth_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = f"{unique('src')}/app", f"{unique('dst')}/app"
    admin = user("admin", [("*", Level.ADMIN)])
    # Push the blob with auth off (simplest), then try to mount it as a stranger.
    monkeypatch.setenv("BERTH_AUTH", "off")
    from chalicelib.auth.auth_settings import auth_settings

    auth_settings.cache_clear()
    digest = push_blob(client, source, random_bytes(100))
    monkeypatch.setenv("BERTH_AUTH", "on")
    auth_settings.cache_clear()
    stranger = user("writer", [(target, Level.PUSH)])
    path = f"/v2/{target}/blobs/uploads/?mount={digest}&from={source}"
    response = client.http.post(path, headers=stranger.basic())
    assert response.status_code == 202  # a session: nothing said about the source
    token_text = token_of(
        client, stranger, [f"repository:{target}:push", f"repository:{source}:pull"]
    )
    assert token_text is not None
    assert client.http.post(path, headers=bearer(token_text)).status_code == 202
    assert client.http.post(path, headers=admin.basic()).status_code == 201


def test_catalog_lists_only_what_the_caller_may_pull(
    client: Any, auth_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.auth.auth_settings import auth_settings

    space = unique("cat")
    names = [f"{space}/a", f"{space}/b", f"{space}/c"]
    monkeypatch.setenv("BERTH_AUTH", "off")
    auth_settings.cache_clear()
    for name in names:
        push_blob(client, name, random_bytes(10))
    monkeypatch.setenv("BERTH_AUTH", "on")
    auth_settings.cache_clear()
    reader = user("reader", [(names[0], Level.PULL), (names[2], Level.PULL)])
    listed: list[str] = []
    path: str | None = "/v2/_catalog?n=1"
    while path:
        response = client.http.get(path, headers=reader.basic())
        assert response.status_code == 200
        listed += json.loads(response.body)["repositories"]
        link = response.headers.get("Link")
        path = link[1 : link.index(">")] if link else None
    assert [n for n in listed if n.startswith(space)] == [names[0], names[2]]
    token_text = token_of(client, reader, ["registry:catalog:*"])
    assert token_text is not None
    response = client.http.get("/v2/_catalog?n=1000", headers=bearer(token_text))
    found = [n for n in json.loads(response.body)["repositories"] if n.startswith(space)]
    assert found == [names[0], names[2]]


def test_public_repositories_pull_anonymously(client: Any, auth_on: None, repo: str) -> None:
    from chalicelib.auth import gate, principals

    path = f"/v2/{repo}/tags/list"
    assert client.http.get(path).status_code == 401
    principals.make_public(repo)
    gate.reset()
    assert client.http.get(path).status_code == 404  # through: the repository has no tags
    anonymous = token_of(client, Caller("anonymous"), [f"repository:{repo}:pull,push"])
    assert anonymous is not None
    assert _claims_of(anonymous)["access"] == [
        {"type": "repository", "name": repo, "actions": ["pull"]}
    ]
    assert client.http.post(f"/v2/{repo}/blobs/uploads/").status_code == 401
    principals.make_private(repo)


def test_warm_bearer_checks_make_no_aws_call(
    client: Any, auth_on: None, repo: str, runtime_call_recorder: Any
) -> None:
    reader = user("reader", [(repo, Level.PULL)])
    token_text = token_of(client, reader, [*_pull_scope(repo), "registry:catalog:*"])
    assert token_text is not None
    client.http.get("/v2/", headers=bearer(token_text))  # warm
    start = len(runtime_call_recorder.calls)
    for _ in range(20):
        assert client.http.get("/v2/", headers=bearer(token_text)).status_code == 200
    assert runtime_call_recorder.since(start) == []
    # Basic credentials, once cached, add none either.
    client.http.get("/v2/", headers=reader.basic())
    start = len(runtime_call_recorder.calls)
    for _ in range(20):
        assert client.http.get("/v2/", headers=reader.basic()).status_code == 200
    assert runtime_call_recorder.since(start) == []


def test_failed_logins_are_rate_limited(
    client: Any, auth_on: None, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME", "3")
    auth_settings.cache_clear()
    reader = user("reader", [(repo, Level.PULL)])
    wrong = basic(reader.username or "", "wrong")
    statuses = [client.http.get("/v2/", headers=wrong).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = client.http.get("/v2/", headers=reader.basic())  # even the right password waits
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
