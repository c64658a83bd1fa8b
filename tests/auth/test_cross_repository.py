"""With auth on: a blob of repository A is not readable through repository B (the blob link
is the boundary, not a redirect to shared storage), not even by linking it with a manifest;
names with a registry host or port colon, and malformed scopes, on /token and on /v2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.auth.permissions import Level
from chalicelib.auth.scope import parse_scopes
from chalicelib.remote.challenge import parse_challenge

# Pushes here: leave no repository behind for another module's `_catalog`.
from tests.api.conftest import _empty_table_after_test  # noqa: F401
from tests.api.helpers import (
    OCI_MANIFEST,
    canonical,
    config_blob,
    descriptor,
    digest_of,
    push_blob,
    random_bytes,
)
from tests.auth.gate_support import bearer, form, token, token_of, unique, user


def _auth(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    from chalicelib.auth import gate
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_AUTH", "on" if on else "off")
    auth_settings.cache_clear()
    gate.reset()


@pytest.fixture
def a_and_b(
    client: Any, auth_on: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, str]]:
    """Repositories A (holding a secret layer) and B (holding something else) and the
    layer's digest; pushed with auth off, auth on for the test."""
    space = unique("ab")
    a, b = f"{space}/a", f"{space}/b"
    _auth(monkeypatch, False)
    secret = push_blob(client, a, random_bytes(200))
    push_blob(client, b, random_bytes(50))
    _auth(monkeypatch, True)
    yield a, b, secret


def _blob_unknown(response: Any) -> None:
    assert response.status_code == 404, response.body
    assert "Location" not in response.headers
    if response.body:
        assert json.loads(response.body)["errors"][0]["code"] == "BLOB_UNKNOWN"


def test_a_blob_of_a_is_not_read_through_b(client: Any, a_and_b: tuple[str, str, str]) -> None:
    a, b, secret = a_and_b
    reader = user("reader", [(b, Level.PULL)])
    admin = user("admin", [("*", Level.ADMIN)])
    # The blob exists and is served through A (to who may pull A): a redirect to storage.
    assert client.http.get(f"/v2/{a}/blobs/{secret}", headers=admin.basic()).status_code == 307
    through_b = f"/v2/{b}/blobs/{secret}"
    pull_b = token_of(client, reader, [f"repository:{b}:pull"])
    assert pull_b is not None
    for headers in (reader.basic(), bearer(pull_b), admin.basic()):
        _blob_unknown(client.http.get(through_b, headers=headers))
        _blob_unknown(client.http.head(through_b, headers=headers))
    # And through A itself the reader of B is refused, by Basic and by token.
    assert client.http.get(f"/v2/{a}/blobs/{secret}", headers=reader.basic()).status_code == 403
    assert client.http.get(f"/v2/{a}/blobs/{secret}", headers=bearer(pull_b)).status_code == 403


def test_a_manifest_in_b_cannot_link_a_blob_of_a(
    client: Any, a_and_b: tuple[str, str, str]
) -> None:
    """A writer of B names A's layer in a manifest pushed to B: refused, nothing linked."""
    _, b, secret = a_and_b
    writer = user("writer", [(b, Level.PUSH)])
    config = config_blob()
    token_text = token_of(client, writer, [f"repository:{b}:pull,push"])
    assert token_text is not None
    location = client.http.post(f"/v2/{b}/blobs/uploads/", headers=bearer(token_text))
    assert location.status_code == 202
    put = client.http.put(
        f"{location.headers['Location']}?digest={digest_of(config)}",
        headers={
            **bearer(token_text),
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(config)),
        },
        body=config,
    )
    assert put.status_code == 201, put.body
    manifest = canonical(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": secret,
                    "size": 200,
                }
            ],
        }
    )
    response = client.http.put(
        f"/v2/{b}/manifests/stolen",
        headers={**bearer(token_text), "Content-Type": OCI_MANIFEST},
        body=manifest,
    )
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    _blob_unknown(client.http.get(f"/v2/{b}/blobs/{secret}", headers=bearer(token_text)))


HOSTED = ["localhost:5000/{r}", "registry.example.com/{r}", "registry.example.com:443/{r}"]


def test_host_prefixed_scope_names_grant_only_the_name_asked(client: Any, auth_on: None) -> None:
    """`repository:localhost:5000/team/app:pull` names another repository than `team/app`:
    a grant on `team/app` gives nothing for it, by GET and by the OAuth2 form."""
    repo = f"{unique('hp')}/app"
    reader = user("reader", [(repo, Level.PULL)])
    assert reader.username and reader.secret
    hosted = [f"repository:{h.format(r=repo)}:pull" for h in HOSTED]
    response = token(client, reader, [*hosted, f"repository:{repo}:pull"])
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["scope"] == f"repository:{repo}:pull"
    posted = form(
        client,
        {
            "grant_type": "password",
            "service": "berth",
            "username": reader.username,
            "password": reader.secret,
            "scope": " ".join(hosted),
        },
    )
    assert posted.status_code == 200, posted.body
    assert json.loads(posted.body)["scope"] == ""
    # Parsed as the spec says: the port stays in the name, the actions follow the last colon.
    parsed = parse_scopes(hosted)
    assert [s.name for s in parsed] == [h.format(r=repo) for h in HOSTED]
    assert all(s.actions == ("pull",) for s in parsed)


@pytest.mark.parametrize("via", ["anonymous", "basic", "bearer"])
def test_port_colon_names_on_v2_routes_are_name_invalid(
    client: Any, auth_on: None, via: str
) -> None:
    """A name with a host or port is not a repository of this registry: 400 NAME_INVALID,
    before any challenge (so no scope a client would have to parse holds it), never a 500."""
    admin = user("admin", [("*", Level.ADMIN)])
    headers: dict[str, str] = {}
    if via == "basic":
        headers = admin.basic()
    elif via == "bearer":
        found = token_of(client, admin, ["repository:localhost:5000/team/app:pull,push"])
        assert found is not None
        headers = bearer(found)
    for name in ["localhost:5000/team/app", "registry.example.com:443/app", "a:b"]:
        for method, suffix in [
            ("GET", "manifests/latest"),
            ("HEAD", "manifests/latest"),
            ("GET", "tags/list"),
            ("GET", "blobs/sha256:" + "ab" * 32),
            ("POST", "blobs/uploads/"),
        ]:
            response = client.http.request(method, f"/v2/{name}/{suffix}", headers=headers)
            assert response.status_code == 400, (name, method, suffix, response.status_code)
            if method != "HEAD":
                assert json.loads(response.body)["errors"][0]["code"] == "NAME_INVALID"


MALFORMED = [
    "repository",
    "repository:team/app",
    ":team/app:pull",
    "repository:team/app:PULL",
    "repository:team/app:pull;rm",
    "repository:team//app:pull",
    "repository:-team/app:pull",
    "repository:localhost:5000:pull",
    "repository:localhost:5000/:pull",
    "repository:localhost:/app:pull",
    "repository(:team/app:pull",
    "répository:team/app:pull",
    "repository:team/app:pull\r\nX-Injected: 1",
    'repository:team/app":pull',
    "repository:" + "a" * 300 + ":pull",
    "repository:team/app:" + "pull," * 2000,
]


@pytest.mark.parametrize("scope", MALFORMED)
def test_malformed_scopes_are_400_on_both_token_forms(
    client: Any, auth_on: None, scope: str
) -> None:
    reader = user("reader", [("team/app", Level.PULL)])
    assert reader.username and reader.secret
    got = token(client, reader, [scope])
    posted = form(
        client,
        {
            "grant_type": "password",
            "username": reader.username,
            "password": reader.secret,
            "scope": scope,
        },
    )
    for response in (got, posted):
        assert response.status_code == 400, (scope[:60], response.status_code, response.body)
        body = json.loads(response.body)
        assert "token" not in body and body["errors"][0]["code"] == "UNSUPPORTED"
        assert "\r" not in response.body.decode() and "\n" not in body["errors"][0]["message"]


def test_challenge_survives_hostile_host_headers(client: Any, auth_on: None) -> None:
    repo = f"{unique('hh')}/app"
    for host in [
        'evil"host',
        "a\\b",
        "x, scope=repository:other:push",
        "h\u00e9llo",
        "evil.example/x?",
        "user@evil.example",
    ]:
        response = client.http.get(f"/v2/{repo}/tags/list", headers={"Host": host})
        assert response.status_code == 401
        scheme, params = parse_challenge(response.headers["WWW-Authenticate"])
        assert scheme == "Bearer"
        assert set(params) == {"realm", "service", "scope"}
        assert params["scope"] == f"repository:{repo}:pull"
        assert params["realm"].startswith("https://") and params["realm"].endswith("/token")
        assert params["realm"] in ("https://localhost/token", "https://x/token"), host


def test_token_query_echo_is_not_a_login(client: Any, auth_on: None) -> None:
    """Credentials in the query string (not a way any client logs in) are ignored, never used
    as a login, so they cannot end up in a request log as a working secret."""
    reader = user("reader", [("team/app", Level.PULL)])
    assert reader.username and reader.secret
    query = urlencode(
        {"service": "berth", "scope": "repository:team/app:pull", "username": reader.username}
        | {"password": reader.secret}
    )
    response = client.http.get(f"/token?{query}")
    assert response.status_code == 200
    assert json.loads(response.body)["scope"] == ""  # anonymous: nothing granted
