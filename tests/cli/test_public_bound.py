"""`berth public add` lets an anonymous pull through within the revocation bound (15 s), the
bound docs/access.md states, as `berth public rm` ends it (tests/auth/test_privacy_bound.py).
It used to take until the public-pattern cache's own 30 s ran out (about 6 s when tried, by
chance of the cache's age). The revocation view's clock is injected (no sleeps); the cache's
30 s never pass during the test, so what lets the pull through is the bound promised."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.auth import revocations
from tests.auth.gate_support import Clock, unique
from tests.cli.test_access_commands import Run, berth  # noqa: F401

REFRESH = 15.0  # BERTH_REVOCATION_REFRESH's default


def test_public_add_reaches_anonymous_pulls_within_the_bound(
    berth: Run,  # noqa: F811
    client: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.auth import process_caches

    clock = Clock()
    monkeypatch.setattr(process_caches, "_revocations", revocations.View(REFRESH, clock=clock))
    repo = f"{unique('pub')}/app"

    def anonymous_pull() -> int:
        return int(client.http.get(f"/v2/{repo}/tags/list").status_code)

    assert anonymous_pull() == 401  # not public; the pattern list is now cached
    assert berth(capsys, "public", "add", repo)[0] == 0
    clock.now += REFRESH - 1
    assert anonymous_pull() == 401  # inside the bound, the cached list may still answer
    clock.now += 1
    assert anonymous_pull() == 404  # through the gate: the repository holds nothing yet
    assert berth(capsys, "public", "rm", repo)[0] == 0
    clock.now += REFRESH
    assert anonymous_pull() == 401
