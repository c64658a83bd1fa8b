"""Principals, grants, public patterns, refresh tokens and the failure counters, on moto."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from chalicelib.auth.permissions import Level, allowed


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def test_user_login_and_grants(aws: dict[str, str]) -> None:
    from chalicelib.auth import principals

    name = unique("u")
    principals.create_user(name, "s3cret-pw")
    with pytest.raises(principals.PrincipalError):
        principals.create_user(name, "other")
    principals.grant("user", name, "team/*", Level.PUSH)
    principals.grant("user", name, "team/secret", Level.NONE)

    me = principals.authenticate(name, "s3cret-pw")
    assert me is not None and me.subject == f"user:{name}"
    now = time.time()
    assert allowed(me, None, "team/app", "push", now=now)
    assert not allowed(me, None, "team/secret", "pull", now=now)
    assert not allowed(me, None, "elsewhere", "pull", now=now)

    assert principals.authenticate(name, "wrong") is None
    assert principals.authenticate(unique("nobody"), "s3cret-pw") is None
    assert principals.authenticate("Bad Name!", "x") is None

    principals.set_password(name, "new-pw")
    assert principals.authenticate(name, "s3cret-pw") is None
    assert principals.authenticate(name, "new-pw") is not None

    principals.set_disabled("user", name)
    assert principals.authenticate(name, "new-pw") is None
    assert any(e.name == name for e in principals.directory("user"))

    principals.delete("user", name)
    assert principals.load("user", name) is None
    assert not any(e.name == name for e in principals.directory("user"))
    with pytest.raises(principals.PrincipalError):
        principals.grant("user", name, "x", Level.PULL)


def test_robots(aws: dict[str, str]) -> None:
    from chalicelib.auth import principals

    name = unique("r")
    secret = principals.create_robot(name, description="ci")
    assert secret.startswith(principals.ROBOT_SECRET_PREFIX)
    stored = principals.load("robot", name)
    assert stored is not None and stored.secret_hash is not None
    assert secret not in stored.secret_hash
    principals.grant("robot", name, "ci/app", Level.PUSH)

    robot = principals.authenticate(f"robot${name}", secret)
    assert robot is not None and robot.kind == "robot"
    assert allowed(robot, None, "ci/app", "push", now=time.time())
    assert not allowed(robot, None, "ci/other", "pull", now=time.time())
    assert principals.authenticate(f"robot${name}", secret + "x") is None
    assert principals.authenticate(name, secret) is None  # a robot is not a user

    principals.revoke_robot(name)
    assert principals.authenticate(f"robot${name}", secret) is None

    expiring = unique("r")
    secret2 = principals.create_robot(expiring, valid_until=time.time() + 60)
    assert principals.authenticate(f"robot${expiring}", secret2) is not None
    assert principals.authenticate(f"robot${expiring}", secret2, now=time.time() + 61) is None


def test_grant_expiry_and_public(aws: dict[str, str]) -> None:
    from chalicelib.auth import principals

    name = unique("u")
    principals.create_user(name, "pw")
    principals.grant("user", name, "tmp/app", Level.PULL, expires_at=time.time() + 30)
    me = principals.authenticate(name, "pw")
    assert me is not None
    assert allowed(me, None, "tmp/app", "pull", now=time.time())
    assert not allowed(me, None, "tmp/app", "pull", now=time.time() + 31)

    pattern = f"{unique('pub')}/*"
    principals.make_public(pattern)
    assert pattern in principals.public_patterns()
    principals.make_private(pattern)
    assert pattern not in principals.public_patterns()
    with pytest.raises(ValueError):
        principals.make_public("not a pattern")


def test_iam_mappings(aws: dict[str, str]) -> None:
    from chalicelib.auth import principals

    account = "210987654321"
    name = unique("m")
    principals.create_iam_mapping(name, f"arn:aws:iam::{account}:role/ci-*")
    principals.grant("iam", name, "ci/*", Level.PUSH)
    caller = f"arn:aws:sts::{account}:assumed-role/ci-builder/session-1"
    me = principals.iam_principal(caller)
    assert me is not None and me.name == caller and me.kind == "iam"
    assert allowed(me, None, "ci/app", "push", now=time.time())
    assert principals.iam_principal(f"arn:aws:sts::{account}:assumed-role/other/s") is None
    principals.set_disabled("iam", name)
    assert principals.iam_principal(caller) is None


def test_refresh_tokens(aws: dict[str, str]) -> None:
    from chalicelib.auth import refresh

    token = refresh.create("user:alice", "berth", ttl=60)
    grant = refresh.redeem(token, "berth")
    assert grant is not None and grant.subject == "user:alice"
    assert refresh.redeem(token, "other-service") is None
    assert refresh.redeem(token, "berth", now=time.time() + 61) is None
    assert refresh.redeem(token[:-1] + ("A" if token[-1] != "A" else "B"), "berth") is None
    assert refresh.redeem("brt1.nope", "berth") is None
    refresh.revoke(token)
    assert refresh.redeem(token, "berth") is None


def test_rate_limit(aws: dict[str, str]) -> None:
    from chalicelib.auth import ratelimit

    name, ip = unique("victim"), f"10.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    options: dict[str, Any] = {"max_per_name": 3, "max_per_ip": 5, "window": 300}
    now = 1_800_000_010.0
    for _ in range(3):
        ratelimit.check(name, ip, now=now, **options)
        ratelimit.record_failure(name, ip, window=300, now=now)
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.check(name, ip, now=now, **options)
    error = caught.value
    assert error.status == 429 and error.code == "TOOMANYREQUESTS"
    assert int(error.headers["Retry-After"]) == 291
    # Another name from the same address still gets in, until the address is over its limit.
    other = unique("other")
    ratelimit.check(other, ip, now=now, **options)
    for _ in range(2):
        ratelimit.record_failure(other, ip, window=300, now=now)
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.check(unique("third"), ip, now=now, **options)
    # The next window starts afresh.
    ratelimit.check(name, ip, now=now + 300, **options)


def test_counters_keep_no_name(aws: dict[str, str]) -> None:
    import boto3

    from chalicelib.auth import ratelimit

    typed_password = unique("hunter2-")
    ratelimit.record_failure(typed_password, None, window=300)
    table = boto3.resource("dynamodb").Table(aws["TableName"])
    assert typed_password not in str(table.scan()["Items"])
