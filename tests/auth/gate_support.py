"""Turning access control on for a test, and making principals to call the registry as.

`auth_on` sets BERTH_AUTH=on for one test (settings and the gate's caches are reset on both
sides), on the session's moto stack whose token key `create_local_token_key` made."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.auth.permissions import Level


def _reset() -> None:
    from chalicelib.auth import gate
    from chalicelib.auth.auth_settings import auth_settings

    auth_settings.cache_clear()
    gate.reset()


@pytest.fixture
def auth_on(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BERTH_AUTH", "on")
    # Every test request comes from 127.0.0.1: only tests of the limit itself may reach it.
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME", "1000000")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME_GLOBAL", "1000000")
    _reset()
    yield
    monkeypatch.setenv("BERTH_AUTH", "off")
    _reset()


def basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Caller:
    """Someone to call as: login name and secret (None: anonymous)."""

    role: str
    username: str | None = None
    secret: str | None = None

    def basic(self) -> dict[str, str]:
        if self.username is None or self.secret is None:
            return {}
        return basic(self.username, self.secret)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def user(role: str, grants: list[tuple[str, Level]]) -> Caller:
    from chalicelib.auth import principals

    name, password = unique("u"), f"pw-{uuid.uuid4().hex}"
    principals.create_user(name, password)
    for pattern, level in grants:
        principals.grant("user", name, pattern, level)
    return Caller(role, name, password)


def robot(
    role: str, grants: list[tuple[str, Level]], *, valid_until: float | None = None
) -> Caller:
    from chalicelib.auth import principals

    name = unique("r")
    secret = principals.create_robot(name, valid_until=valid_until)
    for pattern, level in grants:
        principals.grant("robot", name, pattern, level)
    return Caller(role, f"robot${name}", secret)


def expired_robot(role: str, grants: list[tuple[str, Level]]) -> Caller:
    return robot(role, grants, valid_until=time.time() - 60)


def token(
    client: Any, caller: Caller, scopes: list[str], *, service: str = "berth", **extra: str
) -> Any:
    """GET /token as `caller`; the response (its JSON has `token` when it is a 200)."""
    query: list[tuple[str, str]] = [("service", service)] + [("scope", s) for s in scopes]
    query += list(extra.items())
    return client.http.get(f"/token?{urlencode(query)}", headers=caller.basic())


def token_of(client: Any, caller: Caller, scopes: list[str]) -> str | None:
    response = token(client, caller, scopes)
    if response.status_code != 200:
        return None
    return str(json.loads(response.body)["token"])


def form(client: Any, fields: dict[str, str]) -> Any:
    return client.http.post(
        "/token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(fields).encode(),
    )


class Clock:
    """An injectable clock (`KeyRing`, revocation `View`): tests move `now`, nobody sleeps."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
