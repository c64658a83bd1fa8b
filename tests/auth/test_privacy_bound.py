"""Making a repository private takes effect within the revocation bound (15 s) on every path
(issue 11, D5): a logged-in user's token that holds pull only through the public pattern, an
anonymous token, an anonymous request without a token, and Basic credentials. It used to take
until the token's expiry (75 s left in the report) or the public-pattern cache's 30 s.

The clock of the revocation view is injected (no sleeps); the public-pattern cache's own
30 s (`PUBLIC_TTL`, real monotonic time) never passes during the test, so what ends the
access is the bound this page promises."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.auth import revocations
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, Clock, bearer, token_of, unique, user

REFRESH = 15.0  # BERTH_REVOCATION_REFRESH's default: the bound docs/access.md states


@pytest.fixture
def clock(auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    from chalicelib.auth import process_caches

    fake = Clock()
    monkeypatch.setattr(process_caches, "_revocations", revocations.View(REFRESH, clock=fake))
    return fake


def _pull(client: Any, repo: str, headers: dict[str, str]) -> int:
    return int(client.http.get(f"/v2/{repo}/tags/list", headers=headers).status_code)


def _claims(token_text: str) -> dict[str, Any]:
    import base64

    payload = token_text.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_every_path_ends_within_the_revocation_bound(client: Any, clock: Clock) -> None:
    from chalicelib.auth import principals

    repo = f"{unique('pv')}/app"
    principals.make_public(repo)
    carol = user("carol", [(f"{unique('own')}/*", Level.PUSH)])  # nothing of her own on repo
    scope = [f"repository:{repo}:pull"]
    carols = token_of(client, carol, scope)
    anonymous = token_of(client, Caller("anonymous"), scope)
    assert carols is not None and anonymous is not None
    assert _claims(carols)["pub"] is True and _claims(anonymous)["pub"] is True
    paths = {
        "carol's token": bearer(carols),
        "anonymous token": bearer(anonymous),
        "anonymous, no token": {},
        "carol's Basic": carol.basic(),
    }
    # 404: through the gate (the repository holds nothing).
    assert {name: _pull(client, repo, h) for name, h in paths.items()} == dict.fromkeys(paths, 404)

    principals.make_private(repo)
    clock.now += REFRESH
    after = {name: _pull(client, repo, h) for name, h in paths.items()}
    assert after == {
        "carol's token": 401,
        "anonymous token": 401,
        "anonymous, no token": 401,
        "carol's Basic": 403,
    }
    # A new token for carol no longer holds pull on it.
    fresh = token_of(client, carol, scope)
    assert fresh is not None and _claims(fresh)["access"] == []


def test_own_grants_are_not_public_access(client: Any, clock: Clock) -> None:
    """A token whose access is all the subject's own is not `pub`: making some other
    repository private leaves it alone."""
    from chalicelib.auth import principals

    repo, other = f"{unique('pv')}/app", f"{unique('pv')}/other"
    principals.make_public(other)
    reader = user("reader", [(repo, Level.PULL)])
    own = token_of(client, reader, [f"repository:{repo}:pull"])
    assert own is not None and "pub" not in _claims(own)
    principals.make_private(other)
    clock.now += REFRESH
    assert _pull(client, repo, bearer(own)) == 404


def test_a_token_asked_right_after_make_private_gets_no_public_access(
    client: Any, clock: Clock
) -> None:
    """The token endpoint reads the revocations afresh: a stale cached pattern list is read
    again before the token is made."""
    from chalicelib.auth import gate, principals

    repo = f"{unique('pv')}/app"
    principals.make_public(repo)
    assert repo in gate.public_patterns()  # cached
    principals.make_private(repo)
    anonymous = token_of(client, Caller("anonymous"), [f"repository:{repo}:pull"])
    assert anonymous is not None and _claims(anonymous)["access"] == []
