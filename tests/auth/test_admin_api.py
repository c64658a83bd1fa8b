"""The admin API (`/v2/_berth/admin/...`): users, robots, IAM mappings, grants, public
patterns; its refusals (400/404/405/409, never a 500) and its guard, registry admin."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chalicelib.auth import principals
from chalicelib.auth.models import PRINCIPAL_SK, PrincipalItem, principal_pk
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, basic, bearer, token_of, unique, user

ADMIN = "/v2/_berth/admin"


@pytest.fixture
def admin(auth_on: None) -> Caller:
    return user("admin", [("*", Level.ADMIN)])


def call(
    client: Any, caller: Caller | dict[str, str], method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    headers = caller.basic() if isinstance(caller, Caller) else dict(caller)
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    response = client.http.request(method, path, headers=headers, body=data)
    document = json.loads(response.body) if response.body else None
    return response.status_code, document


def code(document: Any) -> str:
    return str(document["errors"][0]["code"])


def test_users(client: Any, admin: Caller) -> None:
    name, password = unique("u"), f"pw-{uuid.uuid4().hex}"
    repo = f"{unique('t')}/app"
    status, doc = call(
        client,
        admin,
        "POST",
        f"{ADMIN}/users",
        {"name": name, "password": password, "grants": [{"pattern": repo, "level": "push"}]},
    )
    assert status == 201, doc
    assert doc["name"] == name and doc["grants"] == [
        {"pattern": repo, "level": "push", "expiresAt": None}
    ]
    assert "password" not in json.dumps(doc) and password not in json.dumps(doc)
    me = Caller("u", name, password)
    assert client.http.get(f"/v2/{repo}/tags/list", headers=me.basic()).status_code == 404

    status, doc = call(client, admin, "POST", f"{ADMIN}/users", {"name": name, "password": "x" * 9})
    assert (status, code(doc)) == (409, "NAME_INVALID")
    status, doc = call(client, admin, "GET", f"{ADMIN}/users")
    assert status == 200 and name in [u["name"] for u in doc["users"]]
    status, doc = call(client, admin, "GET", f"{ADMIN}/users/{name}")
    assert status == 200 and doc["disabled"] is False

    new = f"pw2-{uuid.uuid4().hex}"
    status, _ = call(client, admin, "PUT", f"{ADMIN}/users/{name}/password", {"password": new})
    assert status == 200
    assert principals.authenticate(name, password) is None
    assert principals.authenticate(name, new) is not None

    status, doc = call(client, admin, "PUT", f"{ADMIN}/users/{name}/disabled", {"disabled": True})
    assert status == 200 and doc["disabled"] is True and doc["active"] is False
    assert principals.authenticate(name, new) is None
    status, doc = call(client, admin, "PUT", f"{ADMIN}/users/{name}/disabled", {"disabled": False})
    assert status == 200 and doc["active"] is True
    assert principals.authenticate(name, new) is not None

    status, _ = call(client, admin, "DELETE", f"{ADMIN}/users/{name}")
    assert status == 200
    assert principals.load("user", name) is None
    status, doc = call(client, admin, "DELETE", f"{ADMIN}/users/{name}")
    assert (status, code(doc)) == (404, "NAME_UNKNOWN")
    status, doc = call(client, admin, "GET", f"{ADMIN}/users/{name}")
    assert (status, code(doc)) == (404, "NAME_UNKNOWN")


def test_robots_secret_once_hash_stored_scope_and_revoke(client: Any, admin: Caller) -> None:
    name, repo, other = unique("r"), f"{unique('t')}/app", f"{unique('t')}/other"
    status, doc = call(
        client,
        admin,
        "POST",
        f"{ADMIN}/robots",
        {"name": name, "grants": [{"pattern": repo, "level": "pull"}], "expiresIn": 3600},
    )
    assert status == 201, doc
    secret = doc["secret"]
    assert doc["login"] == f"robot${name}" and doc["validUntil"] is not None
    stored = PrincipalItem.get(principal_pk("robot", name), PRINCIPAL_SK)
    assert stored.secret_hash and secret not in stored.secret_hash
    status, listed = call(client, admin, "GET", f"{ADMIN}/robots")
    assert status == 200 and secret not in json.dumps(listed)
    assert name in [r["name"] for r in listed["robots"]]

    robot = Caller("robot", f"robot${name}", secret)
    assert client.http.get(f"/v2/{repo}/tags/list", headers=robot.basic()).status_code == 404
    assert client.http.get(f"/v2/{other}/tags/list", headers=robot.basic()).status_code == 403

    status, doc = call(client, admin, "POST", f"{ADMIN}/robots/{name}/revoke")
    assert status == 200 and doc["revoked"] is True
    assert principals.authenticate(f"robot${name}", secret) is None

    status, doc = call(client, admin, "POST", f"{ADMIN}/robots", {"name": unique("r")})
    assert (status, code(doc)) == (400, "UNSUPPORTED")  # a robot needs a scope
    status, doc = call(client, admin, "POST", f"{ADMIN}/robots/{unique('r')}/revoke")
    assert (status, code(doc)) == (404, "NAME_UNKNOWN")


def test_iam_mappings(client: Any, admin: Caller) -> None:
    name = unique("m")
    arn = "arn:aws:sts::123456789012:assumed-role/ci-*/*"
    status, doc = call(
        client,
        admin,
        "POST",
        f"{ADMIN}/iam",
        {"name": name, "arnPattern": arn, "grants": [{"pattern": "ci/*", "level": "push"}]},
    )
    assert status == 201, doc
    assert doc["arnPattern"] == arn and doc["grants"][0]["level"] == "push"
    status, doc = call(client, admin, "GET", f"{ADMIN}/iam")
    assert name in [m["name"] for m in doc["iam"]]
    status, doc = call(
        client, admin, "POST", f"{ADMIN}/iam", {"name": unique("m"), "arnPattern": "*"}
    )
    assert status == 400, doc
    status, _ = call(client, admin, "DELETE", f"{ADMIN}/iam/{name}")
    assert status == 200 and principals.load("iam", name) is None


def test_grants_and_public(client: Any, admin: Caller) -> None:
    someone = user("someone", [])
    assert someone.username is not None
    ns = unique("g")
    grant = {"kind": "user", "name": someone.username, "pattern": f"{ns}/*", "level": "delete"}
    status, doc = call(client, admin, "POST", f"{ADMIN}/grants", grant)
    assert status == 200 and doc["grants"] == [
        {"pattern": f"{ns}/*", "level": "delete", "expiresAt": None}
    ]
    status, doc = call(client, admin, "GET", f"{ADMIN}/grants")
    assert {"kind": "user", "name": someone.username, "pattern": f"{ns}/*"}.items() <= next(
        g for g in doc["grants"] if g["name"] == someone.username
    ).items()
    query = f"kind=user&name={someone.username}&pattern={ns}/*"
    status, doc = call(client, admin, "DELETE", f"{ADMIN}/grants?{query}")
    assert status == 200 and doc["grants"] == []
    status, doc = call(client, admin, "DELETE", f"{ADMIN}/grants?{query}")
    assert (status, code(doc)) == (404, "NAME_UNKNOWN")
    status, doc = call(
        client, admin, "POST", f"{ADMIN}/grants", {**grant, "name": unique("nobody")}
    )
    assert (status, code(doc)) == (404, "NAME_UNKNOWN")

    repo = f"{ns}/open"
    assert client.http.get(f"/v2/{repo}/tags/list").status_code == 401
    status, doc = call(client, admin, "POST", f"{ADMIN}/public", {"pattern": repo})
    assert status == 200 and repo in doc["public"]
    from chalicelib.auth import gate

    gate.reset()  # public patterns are cached for 30 s per instance
    assert client.http.get(f"/v2/{repo}/tags/list").status_code == 404
    status, doc = call(client, admin, "DELETE", f"{ADMIN}/public?pattern={repo}")
    assert status == 200 and repo not in doc["public"]
    status, doc = call(client, admin, "DELETE", f"{ADMIN}/public?pattern={repo}")
    assert (status, code(doc)) == (404, "NAME_UNKNOWN")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "users", {"name": "Bad Name", "password": "long enough"}, 400, "NAME_INVALID"),
        ("POST", "users", {"name": "ok", "password": "short"}, 400, "UNSUPPORTED"),
        ("POST", "users", b"not json", 400, "UNSUPPORTED"),
        ("POST", "users", [1, 2], 400, "UNSUPPORTED"),
        ("POST", "users", {"name": "x", "password": "long enough", "grants": [{}]}, 400, None),
        ("POST", "users", {"name": "x", "password": "long enough", "grants": "*"}, 400, None),
        (
            "POST",
            "grants",
            {"kind": "user", "name": "x", "pattern": "A//b", "level": "pull"},
            400,
            "NAME_INVALID",
        ),
        (
            "POST",
            "grants",
            {"kind": "god", "name": "x", "pattern": "a", "level": "pull"},
            400,
            None,
        ),
        (
            "POST",
            "grants",
            {"kind": "user", "name": "x", "pattern": "a", "level": "root"},
            400,
            None,
        ),
        (
            "POST",
            "robots",
            {"name": "r", "grants": [{"pattern": "a", "level": "pull"}], "expiresIn": -5},
            400,
            None,
        ),
        ("POST", "public", {"pattern": 7}, 400, "NAME_INVALID"),
        ("DELETE", "public", None, 400, "NAME_INVALID"),
        ("PUT", "users/x/disabled", {"disabled": "yes"}, 400, None),
        ("GET", "users/Bad!", None, 400, "NAME_INVALID"),
        ("GET", "nothing", None, 404, "UNSUPPORTED"),
        ("GET", "users/a/b/c", None, 404, "UNSUPPORTED"),
        ("PATCH", "users", None, 405, "UNSUPPORTED"),
        ("DELETE", "users", None, 405, "UNSUPPORTED"),
        ("POST", "users", b"{" * 70000, 413, "SIZE_INVALID"),
    ],
)
def test_bad_input_is_refused_clearly(
    client: Any, admin: Caller, method: str, path: str, body: Any, status: int, error: str | None
) -> None:
    got, doc = call(client, admin, method, f"{ADMIN}/{path}", body)
    assert got == status, doc
    if error is not None:
        assert code(doc) == error


def test_only_registry_admins(client: Any, auth_on: None) -> None:
    """Admin of a namespace is not registry admin: 403 on the admin API and on GC, by Basic
    and by token; a token request for `registry:admin:*` leaves that scope out."""
    ns_admin = user("ns-admin", [("team/*", Level.ADMIN)])
    for path, method in [(f"{ADMIN}/users", "GET"), ("/v2/_berth/gc?dry-run=1", "POST")]:
        assert call(client, ns_admin, method, path)[0] == 403
        found = token_of(client, ns_admin, ["registry:admin:*"])
        assert found is not None
        assert call(client, bearer(found), method, path)[0] == 403
        assert call(client, {}, method, path)[0] == 401
    admin = user("admin", [("*", Level.ADMIN)])
    found = token_of(client, admin, ["registry:admin:*"])
    assert found is not None
    assert call(client, bearer(found), "GET", f"{ADMIN}/users")[0] == 200
    assert call(client, bearer(found), "POST", "/v2/_berth/gc?dry-run=1")[0] == 200
    # A token for a repository, even `*` on it, is not registry admin: a new token is needed.
    found = token_of(client, admin, ["repository:a/b:*"])
    assert found is not None
    status, doc = call(client, bearer(found), "GET", f"{ADMIN}/users")
    assert status == 401 and code(doc) == "UNAUTHORIZED"
    assert call(client, basic("nobody", "wrong"), "GET", f"{ADMIN}/users")[0] == 401


def test_an_admin_cannot_delete_or_disable_itself(client: Any, admin: Caller) -> None:
    for method, path, body in [
        ("DELETE", f"{ADMIN}/users/{admin.username}", None),
        ("PUT", f"{ADMIN}/users/{admin.username}/disabled", {"disabled": True}),
    ]:
        status, doc = call(client, admin, method, path, body)
        assert (status, code(doc)) == (403, "DENIED")
    assert principals.authenticate(str(admin.username), str(admin.secret)) is not None
