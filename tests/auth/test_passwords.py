"""argon2id hashing: verification, unknown users, no plaintext kept."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.auth import passwords


def test_hash_and_verify() -> None:
    stored = passwords.hash_secret("correct horse")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "correct hors")
    assert not passwords.verify(stored, "")
    assert not passwords.verify("not a hash", "correct horse")
    assert not passwords.verify(None, "correct horse")
    assert not passwords.needs_rehash(stored)
    assert passwords.needs_rehash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo")


def test_too_long_is_refused_not_truncated() -> None:
    long = "x" * (passwords.MAX_SECRET_BYTES + 1)
    stored = passwords.hash_secret("x" * passwords.MAX_SECRET_BYTES)
    assert not passwords.verify(stored, long)


def test_unknown_user_costs_the_same() -> None:
    stored = passwords.hash_secret("pw")
    passwords.verify(None, "warm up")

    def best(stored_hash: str | None) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            passwords.verify(stored_hash, "guess")
            times.append(time.perf_counter() - start)
        return min(times)

    known, unknown = best(stored), best(None)
    assert 0.5 < unknown / known < 2.0


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_only_the_same_secret_verifies(a: str, b: str) -> None:
    stored = passwords.hash_secret(a)
    assert passwords.verify(stored, b) == (a == b)


def test_digests() -> None:
    secret = passwords.new_secret("p_")
    assert secret.startswith("p_") and len(secret) > 40
    assert passwords.same_digest(passwords.digest(secret), secret)
    assert not passwords.same_digest(passwords.digest(secret), secret + "x")
