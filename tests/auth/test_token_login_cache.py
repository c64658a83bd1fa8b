"""The token endpoint verifies a client's credentials once per instance and token TTL (issue
16: a pull asks for a token every time, and argon2id per token was most of the token's cost),
under the same cache and revocation bound as Basic credentials on registry requests."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, Clock, token_of, unique, user

REFRESH = 15.0


@pytest.fixture
def clock(auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    from chalicelib.auth import process_caches, revocations

    fake = Clock()
    assert revocations.DEFAULT_REFRESH == REFRESH
    monkeypatch.setattr(process_caches, "_revocations", revocations.View(REFRESH, clock=fake))
    return fake


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from chalicelib.auth import passwords

    seen: list[str] = []
    real = passwords.verify

    def counted(stored: Any, password: str) -> Any:
        seen.append(password)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify", counted)
    return seen


def test_a_second_token_for_the_same_credentials_verifies_nothing(
    client: Any, clock: Clock, verifications: list[str]
) -> None:
    repo = f"{unique('tk')}/app"
    caller = user("reader", [(repo, Level.PULL)])
    scopes = [f"repository:{repo}:pull"]
    assert token_of(client, caller, scopes) is not None
    assert len(verifications) == 1
    for _ in range(3):
        assert token_of(client, caller, scopes) is not None
    assert len(verifications) == 1
    wrong = Caller("reader", caller.username, "not-the-password-1")
    assert token_of(client, wrong, scopes) is None  # other credentials: verified, refused
    assert len(verifications) == 2


@pytest.mark.parametrize("revoke", ["disable", "set_password"])
def test_a_revoked_login_gets_no_token_after_the_refresh_interval(
    client: Any, clock: Clock, revoke: str
) -> None:
    from chalicelib.auth import principals

    repo = f"{unique('tk')}/app"
    caller = user("reader", [(repo, Level.PULL)])
    assert caller.username
    scopes = [f"repository:{repo}:pull"]
    assert token_of(client, caller, scopes) is not None
    {
        "disable": lambda: principals.set_disabled("user", caller.username or ""),
        "set_password": lambda: principals.set_password(caller.username or "", "other-pw-123"),
    }[revoke]()
    clock.now += REFRESH
    assert token_of(client, caller, scopes) is None
