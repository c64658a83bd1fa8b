"""The gate remembers tokens it verified (no ECDSA check per request), and what it remembers
still expires: a token used once is refused after its `exp` (plus leeway), at no AWS call
before that."""

from __future__ import annotations

import time as real_time
from typing import Any

import pytest

from chalicelib.auth.permissions import Level
from tests.auth.gate_support import bearer, token_of, unique, user


class ShiftedTime:
    """The `time` module as the gate sees it, `offset` seconds later."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return real_time.time() + self.offset

    def monotonic(self) -> float:
        return real_time.monotonic() + self.offset

    def __getattr__(self, name: str) -> Any:
        return getattr(real_time, name)


def test_a_remembered_token_still_expires(
    client: Any, auth_on: None, monkeypatch: pytest.MonkeyPatch, runtime_call_recorder: Any
) -> None:
    from chalicelib.auth import gate, process_caches, tokens

    repo = f"{unique('tc')}/app"
    reader = user("reader", [(repo, Level.PULL)])
    token_text = token_of(client, reader, [f"repository:{repo}:pull"])
    assert token_text is not None
    shifted = ShiftedTime()
    monkeypatch.setattr(process_caches, "time", shifted)
    monkeypatch.setattr(tokens, "time", shifted)
    assert client.http.get("/v2/", headers=bearer(token_text)).status_code == 200
    assert token_text in process_caches._verified

    def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("a remembered token is not verified again")

    with monkeypatch.context() as patched:
        patched.setattr(tokens.Verifier, "_check_signature", staticmethod(never))
        start = len(runtime_call_recorder.calls)
        for _ in range(10):
            assert client.http.get("/v2/", headers=bearer(token_text)).status_code == 200
        assert runtime_call_recorder.since(start) == []

    ttl = gate.auth_settings().token_ttl
    shifted.offset = ttl + gate.verifier().leeway + 1
    response = client.http.get("/v2/", headers=bearer(token_text))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert token_text not in process_caches._verified
