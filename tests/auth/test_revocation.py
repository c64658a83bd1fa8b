"""Revocation reaches warm functions within the refresh interval (an injected clock, no
sleeps): a cached Basic login and a token issued before the revoke are refused after it, and
requests between two reads of the revocations make no AWS call."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.auth import revocations
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, Clock, bearer, robot, token_of, unique, user

REFRESH = 15.0


@pytest.fixture
def clock(auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    from chalicelib.auth import process_caches
    from chalicelib.auth.auth_settings import auth_settings

    fake = Clock()
    # The refresh the gate would use, pinned to the documented default; only the clock is ours.
    refresh = auth_settings().revocation_refresh
    assert refresh == REFRESH == revocations.DEFAULT_REFRESH
    monkeypatch.setattr(process_caches, "_revocations", revocations.View(refresh, clock=fake))
    return fake


def _pull(client: Any, repo: str, headers: dict[str, str]) -> int:
    return int(client.http.get(f"/v2/{repo}/tags/list", headers=headers).status_code)


@pytest.mark.parametrize(
    "revoke",
    ["disable", "revoke_robot", "delete", "revoke_grant", "grant_none", "set_password"],
)
def test_revoked_principal_is_refused_after_the_refresh_interval(
    client: Any, clock: Clock, runtime_call_recorder: Any, revoke: str
) -> None:
    from chalicelib.auth import principals

    repo = f"{unique('rv')}/app"
    caller = (robot if revoke in ("revoke_robot", "delete") else user)(
        "reader", [(repo, Level.PULL)]
    )
    assert caller.username
    kind, name = (
        ("robot", caller.username[6:])
        if caller.username.startswith("robot$")
        else (
            "user",
            caller.username,
        )
    )
    token_text = token_of(client, caller, [f"repository:{repo}:pull"])
    assert token_text is not None
    assert _pull(client, repo, caller.basic()) == 404  # through (no such repository): cached
    assert _pull(client, repo, bearer(token_text)) == 404

    {
        "disable": lambda: principals.set_disabled(kind, name),
        "revoke_robot": lambda: principals.revoke_robot(name),
        "delete": lambda: principals.delete(kind, name),
        "revoke_grant": lambda: principals.revoke_grant(kind, name, repo),
        "grant_none": lambda: principals.grant(kind, name, repo, Level.NONE),
        "set_password": lambda: principals.set_password(name, "another-password-123"),
    }[revoke]()

    # Within the interval the warm function has not looked: both still pass, at no AWS call.
    start = len(runtime_call_recorder.calls)
    clock.now += REFRESH - 1
    for _ in range(5):  # `/v2/` itself makes no AWS call: what is counted is the gate's
        assert client.http.get("/v2/", headers=caller.basic()).status_code == 200
        assert client.http.get("/v2/", headers=bearer(token_text)).status_code == 200
    assert runtime_call_recorder.since(start) == []
    assert _pull(client, repo, caller.basic()) == 404
    assert _pull(client, repo, bearer(token_text)) == 404

    clock.now += 1  # the interval is over: the next request re-reads the revocations
    response = client.http.get("/v2/", headers=bearer(token_text))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert _pull(client, repo, caller.basic()) in (401, 403)  # logs in again: refused


def test_a_new_login_right_after_a_password_change_works(client: Any, clock: Clock) -> None:
    from chalicelib.auth import principals

    repo = f"{unique('rv')}/app"
    caller = user("reader", [(repo, Level.PULL)])
    assert caller.username
    principals.set_password(caller.username, "the-new-password-42")
    fresh = Caller("reader", caller.username, "the-new-password-42")
    clock.now += REFRESH  # whatever the view holds, it holds the revocation
    token_text = token_of(client, fresh, [f"repository:{repo}:pull"])
    assert token_text is not None
    assert _pull(client, repo, bearer(token_text)) == 404
    assert _pull(client, repo, fresh.basic()) == 404
    assert _pull(client, repo, caller.basic()) == 401  # the old password


def test_made_private_ends_anonymous_tokens(client: Any, clock: Clock) -> None:
    from chalicelib.auth import principals, process_caches

    repo = f"{unique('rv')}/app"
    principals.make_public(repo)
    process_caches._public = None
    anonymous = token_of(client, Caller("anonymous"), [f"repository:{repo}:pull"])
    assert anonymous is not None
    assert json.loads(_claims(anonymous))["access"]
    assert _pull(client, repo, bearer(anonymous)) == 404
    principals.make_private(repo)
    clock.now += REFRESH
    assert _pull(client, repo, bearer(anonymous)) == 401


def _claims(token_text: str) -> str:
    import base64

    payload = token_text.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


def test_the_view_reads_at_most_once_per_interval() -> None:
    reads: list[int] = []
    entries = {"user:a": 50.5}

    def read() -> dict[str, float]:
        reads.append(1)
        return dict(entries)

    clock = Clock()
    view = revocations.View(REFRESH, clock=clock, read=read)
    for step in range(100):
        clock.now = 1000.0 + step * 0.5  # 50 s of requests, two a second
        view.token_refused("user:a", 10_000)
    assert len(reads) == math.ceil(50 / REFRESH)
    assert view.token_refused("user:a", 50_500) and not view.token_refused("user:a", 50_501)
    assert view.login_refused("user:a", 50.4) and not view.login_refused("user:a", 50.6)
    assert not view.token_refused("user:b", 0)


@given(
    revoked=st.floats(min_value=1e9, max_value=2e9),
    issued=st.floats(min_value=1e9 - 1000, max_value=2e9 + 1000),
    iam=st.booleans(),
)
def test_tokens_dated_by_issued_after_are_never_refused(
    revoked: float, issued: float, iam: bool
) -> None:
    subject = "iam:arn:aws:iam::1:role/x" if iam else "user:a"
    entries = {revocations.ALL_IAM if iam else subject: revoked}
    # A token issued before the revocation (or in its second) is refused...
    if issued < revoked:
        assert revocations.token_refused(entries, subject, int(issued * 1000))
    # ...and one dated by the token endpoint after it never is, nor is it dated much later.
    dated = revocations.issued_after(entries, subject, max(issued, revoked))
    assert not revocations.token_refused(entries, subject, int(dated * 1000))
    assert dated - max(issued, revoked) <= 1
    assert not revocations.token_refused({}, subject, int(issued * 1000))


def test_a_revocation_later_in_the_same_second_still_refuses() -> None:
    """Granted at .2, token at .3, revoked at .4 of one second: whole-second `iat` could not
    tell; `iat_ms` does (this raced in the suite before it existed)."""

    from chalicelib.auth.tokens import LocalSigner, Verifier, issue

    entries = {"user:a": 100.125}
    when = revocations.issued_after(entries, "user:a", 100.25)
    assert when == 100.25
    signer = LocalSigner()
    token, _ = issue(signer, issuer="b", subject="user:a", audience="b", access=[], now=when)
    verified = Verifier([signer.public_key()], issuer="b", audience="b").verify(token, now=101)
    assert verified.issued_at == 100 and verified.issued_at_ms == 100_250
    assert not revocations.token_refused(entries, "user:a", verified.issued_at_ms)
    entries["user:a"] = 100.375
    assert revocations.token_refused(entries, "user:a", verified.issued_at_ms)
