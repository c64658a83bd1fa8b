"""Every endpoint x every kind of caller, with auth on: nothing passes that should not.

Callers: anonymous, a reader (pull), a writer (push), a deleter (delete), an admin (admin on
`*`), a robot of another repository and an expired robot of this one; each by Basic
credentials sent straight to /v2 and by a Bearer token from /token. What may pass is what
the caller's level on the repository allows, with the endpoint's own answer; the rest is
401 (no or failed login) or 403."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from berth.iam_login import login_password
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import (
    Caller,
    bearer,
    expired_robot,
    robot,
    token_of,
    user,
)

D = "sha256:" + "ab" * 32
U = str(uuid.UUID(int=7))

# Registry administration (`registry:admin:*`): admin on `*`, not on any one repository.
REGISTRY_ADMIN = "registry-admin"

# (method, path template, level needed (None: any logged-in caller), the status a caller
# allowed through gets: the endpoint's own answer to these requests, which name nothing that
# exists and send `{}` as body; so a 500 or a wrong refusal of an allowed caller shows)
ENDPOINTS: list[tuple[str, str, Level | str | None, int]] = [
    ("GET", "/v2/", None, 200),
    ("HEAD", "/v2/", None, 200),
    ("GET", "/v2/_catalog", None, 200),
    ("GET", "/v2/_berth/repositories", None, 200),
    ("GET", "/v2/{r}/tags/list", Level.PULL, 404),
    ("GET", "/v2/{r}/manifests/latest", Level.PULL, 404),
    ("HEAD", "/v2/{r}/manifests/latest", Level.PULL, 404),
    ("PUT", "/v2/{r}/manifests/latest", Level.PUSH, 400),
    ("DELETE", f"/v2/{{r}}/manifests/{D}", Level.DELETE, 404),
    ("GET", f"/v2/{{r}}/blobs/{D}", Level.PULL, 404),
    ("HEAD", f"/v2/{{r}}/blobs/{D}", Level.PULL, 404),
    ("DELETE", f"/v2/{{r}}/blobs/{D}", Level.DELETE, 404),
    ("POST", "/v2/{r}/blobs/uploads/", Level.PUSH, 202),
    ("GET", f"/v2/{{r}}/blobs/uploads/{U}", Level.PUSH, 404),
    ("PATCH", f"/v2/{{r}}/blobs/uploads/{U}", Level.PUSH, 404),
    ("PUT", f"/v2/{{r}}/blobs/uploads/{U}?digest={D}", Level.PUSH, 404),
    ("DELETE", f"/v2/{{r}}/blobs/uploads/{U}", Level.PUSH, 404),
    ("GET", f"/v2/{{r}}/referrers/{D}", Level.PULL, 200),
    ("GET", "/v2/{r}/_berth/history/latest", Level.PULL, 404),
    ("POST", f"/v2/{{r}}/_berth/rollback/latest?to={D}", Level.PUSH, 404),
    ("GET", "/v2/{r}/_berth/settings", Level.PULL, 200),
    ("PUT", "/v2/{r}/_berth/settings", Level.ADMIN, 200),
    ("GET", f"/v2/{{r}}/_berth/signatures/{D}", Level.PULL, 404),
    ("GET", "/v2/_berth/signing/policy", REGISTRY_ADMIN, 200),
    ("PUT", "/v2/_berth/signing/policy", REGISTRY_ADMIN, 400),
    # The audit of one repository: its admins; of a principal: registry admins.
    ("GET", "/v2/_berth/audit?repository={r}", Level.ADMIN, 200),
    ("GET", "/v2/_berth/audit?principal=user:someone", REGISTRY_ADMIN, 200),
    ("POST", "/v2/_berth/gc?dry-run=1", REGISTRY_ADMIN, 200),
    ("GET", "/v2/_berth/admin/users", REGISTRY_ADMIN, 200),
    ("POST", "/v2/_berth/admin/users", REGISTRY_ADMIN, 400),
    ("GET", "/v2/_berth/admin/users/nobody", REGISTRY_ADMIN, 404),
    ("PUT", "/v2/_berth/admin/users/nobody/password", REGISTRY_ADMIN, 400),
    ("PUT", "/v2/_berth/admin/users/nobody/disabled", REGISTRY_ADMIN, 400),
    ("DELETE", "/v2/_berth/admin/users/nobody", REGISTRY_ADMIN, 404),
    ("GET", "/v2/_berth/admin/robots", REGISTRY_ADMIN, 200),
    ("POST", "/v2/_berth/admin/robots", REGISTRY_ADMIN, 400),
    ("POST", "/v2/_berth/admin/robots/nobody/revoke", REGISTRY_ADMIN, 404),
    ("DELETE", "/v2/_berth/admin/robots/nobody", REGISTRY_ADMIN, 404),
    ("GET", "/v2/_berth/admin/iam", REGISTRY_ADMIN, 200),
    ("POST", "/v2/_berth/admin/iam", REGISTRY_ADMIN, 400),
    ("DELETE", "/v2/_berth/admin/iam/nobody", REGISTRY_ADMIN, 404),
    ("GET", "/v2/_berth/admin/grants", REGISTRY_ADMIN, 200),
    ("POST", "/v2/_berth/admin/grants", REGISTRY_ADMIN, 400),
    ("DELETE", "/v2/_berth/admin/grants?kind=user&name=nobody&pattern=a", REGISTRY_ADMIN, 404),
    ("GET", "/v2/_berth/admin/public", REGISTRY_ADMIN, 200),
    ("POST", "/v2/_berth/admin/public", REGISTRY_ADMIN, 400),
    ("DELETE", "/v2/_berth/admin/public?pattern=nobody/x", REGISTRY_ADMIN, 404),
    ("GET", "/v2/{r}/_berth/lifecycle", Level.PULL, 200),
    ("PUT", "/v2/{r}/_berth/lifecycle", Level.ADMIN, 200),
    ("POST", "/v2/{r}/_berth/lifecycle?dry-run=1", Level.ADMIN, 200),
    ("POST", "/v2/{r}/_berth/lifecycle", Level.ADMIN, 200),
    ("POST", "/v2/_berth/lifecycle?dry-run=1", REGISTRY_ADMIN, 200),
]

ROLES = ["anonymous", "reader", "writer", "deleter", "admin", "other_robot", "expired_robot"]
# IAM callers: a presigned sts:GetCallerIdentity as password (moto's STS). One an IAM mapping
# grants push on the repository, one a mapping matches with grants elsewhere only, one no
# mapping matches (cannot log in). See `iam_mapping`.
IAM_ROLES = ["iam_granted", "iam_ungranted", "iam_unmapped"]
ROLES += IAM_ROLES


@pytest.fixture
def iam_mapping(
    request: pytest.FixtureRequest,
    world: tuple[str, dict[str, tuple[Caller, Level, bool]]],
) -> Iterator[None]:
    """moto's STS answers every presigned GetCallerIdentity with its one default identity (it
    reads no credentials from a query string), so the IAM roles share one ARN: each test of
    an IAM role maps it as the role says, and removes the mapping afterwards."""
    from chalicelib.auth import principals

    role = request.node.callspec.params.get("role")
    grants = {
        "iam_granted": [(world[0], Level.PUSH)],
        "iam_ungranted": [(f"mx{uuid.uuid4().hex[:8]}/elsewhere", Level.ADMIN)],
    }.get(role)
    if grants is None:
        yield
        return
    mapping = f"mx{uuid.uuid4().hex[:10]}"
    principals.create_iam_mapping(mapping, "arn:aws:*::123456789012:*")
    for pattern, level in grants:
        principals.grant("iam", mapping, pattern, level)
    try:
        yield
    finally:
        principals.delete("iam", mapping)


@pytest.fixture(scope="module")
def world(aws: dict[str, str]) -> Iterator[tuple[str, dict[str, tuple[Caller, Level, bool]]]]:
    """The repository and each role's caller, level on it, and whether it can log in."""
    repo = f"mx{uuid.uuid4().hex[:8]}/app"
    other = f"mx{uuid.uuid4().hex[:8]}/other"
    iam_password = login_password(boto3.client("sts", region_name="us-east-1"), "berth")
    callers = {
        "anonymous": (Caller("anonymous"), Level.NONE, False),
        "reader": (user("reader", [(repo, Level.PULL)]), Level.PULL, True),
        "writer": (user("writer", [(repo, Level.PUSH)]), Level.PUSH, True),
        "deleter": (
            user("deleter", [(repo.split("/")[0] + "/*", Level.DELETE)]),
            Level.DELETE,
            True,
        ),
        "admin": (user("admin", [("*", Level.ADMIN)]), Level.ADMIN, True),
        "other_robot": (robot("other_robot", [(other, Level.ADMIN)]), Level.NONE, True),
        "expired_robot": (expired_robot("expired_robot", [(repo, Level.PUSH)]), Level.NONE, False),
        "iam_granted": (Caller("iam_granted", "aws", iam_password), Level.PUSH, True),
        "iam_ungranted": (Caller("iam_ungranted", "aws", iam_password), Level.NONE, True),
        "iam_unmapped": (Caller("iam_unmapped", "aws", iam_password), Level.NONE, False),
    }
    yield repo, callers


def _call(client: Any, method: str, path: str, headers: dict[str, str]) -> Any:
    body = b"{}" if method in ("PUT", "PATCH", "POST") else b""
    if body:
        headers = {**headers, "Content-Type": "application/json"}
    return client.http.request(method, path, headers=headers, body=body)


@pytest.mark.parametrize("via", ["basic", "bearer"])
@pytest.mark.parametrize("role", ROLES)
def test_matrix(
    client: Any,
    auth_on: None,
    world: tuple[str, dict[str, tuple[Caller, Level, bool]]],
    iam_mapping: None,
    role: str,
    via: str,
) -> None:
    repo, callers = world
    caller, level, logs_in = callers[role]
    scopes = [f"repository:{repo}:pull,push,delete,*", "registry:catalog:*", "registry:admin:*"]
    if via == "basic":
        headers = caller.basic()
    else:
        found = token_of(client, caller, scopes) if caller.username else None
        assert (found is not None) == logs_in or role == "anonymous"
        if role == "anonymous":
            found = token_of(client, caller, scopes)  # anonymous tokens exist (public pulls)
            assert found is not None
        headers = bearer(found) if found else {}
    wrong = []
    for method, template, needed, expected in ENDPOINTS:
        path = template.format(r=repo)
        response = _call(client, method, path, headers)
        status = response.status_code
        if needed is None:
            # `/v2/` takes any valid token, an anonymous one too (the public-pull flow).
            may = logs_in or (template == "/v2/" and via == "bearer" and "Authorization" in headers)
        elif needed == REGISTRY_ADMIN:
            may = role == "admin"
        else:
            may = level >= needed
        if may:
            ok = status == expected
        elif not logs_in:  # 429: failed logins are rate-limited, as they should be
            ok = status in (401, 429)
        else:
            ok = status == 403
        if ok and status == 401:
            ok = "Bearer realm=" in (response.headers.get("WWW-Authenticate") or "")
        if not ok:
            wrong.append(f"{method} {template}: {status} {response.body[:200]!r}")
    assert not wrong, f"{role} via {via}:\n" + "\n".join(wrong)
