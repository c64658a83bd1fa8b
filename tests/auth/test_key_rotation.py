"""Signing key rotation against moto's KMS: `berth keys rotate` moves the aliases; tokens of
the previous key verify until the key is retired, new tokens carry the new kid, and made-up
kids cost a bounded number of KMS calls (an injected clock, no sleeps)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from berth.deploy.iam_policy import token_key_alias
from berth.deploy.keys import MIN_KEY_AGE, RotateError, rotate
from chalicelib.auth.auth_settings import previous_alias
from chalicelib.auth.keyring import KeyRing
from chalicelib.auth.permissions import Level
from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import LocalSigner, TokenError, Verifier, issue
from tests.auth.gate_support import Clock, bearer, token_of, unique, user
from tests.auth.test_aws_keys import CountingKms

ACCESS = [ResourceScope("repository", "a/b", ("pull",))]
LATER = datetime.now(UTC) + timedelta(days=1)  # rotations "a day apart": never refused


@pytest.fixture
def stage(aws: dict[str, str]) -> str:
    """A stage of this test's own, with a token key under its alias (as the stack makes)."""
    import boto3

    kms = boto3.client("kms")
    name = f"rot{uuid.uuid4().hex[:8]}"
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.create_alias(AliasName=token_key_alias(name), TargetKeyId=key["KeyId"])
    return name


def _ring(stage: str, kms: Any, clock: Clock) -> KeyRing:
    alias = token_key_alias(stage)
    return KeyRing(alias, previous_alias(alias), client=kms, clock=clock)


def _kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def _token(ring: KeyRing) -> str:
    return ring.issue(issuer="berth", subject="user:a", audience="berth", access=ACCESS)[0]


def test_rotation_keeps_old_tokens_until_their_key_is_retired(stage: str) -> None:
    import boto3

    kms = CountingKms(boto3.client("kms"))
    clock = Clock()
    ring = _ring(stage, kms, clock)
    verifier = Verifier([], issuer="berth", audience="berth", lookup=ring.lookup)
    first = _token(ring)
    first_kid = _kid(first)
    assert verifier.verify(first).subject == "user:a"

    rotate(boto3.client("kms"), stage, now=LATER)
    # Until the ring resolves again it signs with the key it knows (still listed after).
    assert _kid(_token(ring)) == first_kid
    clock.now += ring.resolve_every
    second = _token(ring)
    assert _kid(second) != first_kid  # new tokens: the new key
    assert verifier.verify(first).subject == "user:a"  # signed before rotation: still good
    assert verifier.verify(second).subject == "user:a"
    assert set(ring.listed()) == {first_kid, _kid(second)}

    # A second rotation retires the first key: once resolved, nothing it signed verifies.
    rotate(boto3.client("kms"), stage, now=LATER + timedelta(days=1))
    clock.now += ring.resolve_every
    third = _token(ring)
    assert len({first_kid, _kid(second), _kid(third)}) == 3
    assert verifier.verify(second).subject == "user:a"
    with pytest.raises(TokenError, match="unknown signing key"):
        verifier.verify(first)


def test_a_token_of_a_key_rotated_in_elsewhere_verifies_at_once(stage: str) -> None:
    """Another function resolved first and signs with the new key: the unknown kid makes this
    one resolve early (it would wait up to `resolve_every` otherwise)."""
    import boto3

    clock = Clock()
    mine = _ring(stage, boto3.client("kms"), clock)
    verifier = Verifier([], issuer="berth", audience="berth", lookup=mine.lookup)
    verifier.verify(_token(mine))
    rotate(boto3.client("kms"), stage, now=LATER)
    theirs = _ring(stage, boto3.client("kms"), Clock())
    token = _token(theirs)
    clock.now += 1  # far less than resolve_every
    assert verifier.verify(token).subject == "user:a"


def test_made_up_kids_cost_a_bounded_number_of_kms_calls(stage: str) -> None:
    import boto3

    kms = CountingKms(boto3.client("kms"))
    clock = Clock()
    ring = _ring(stage, kms, clock)
    verifier = Verifier([], issuer="berth", audience="berth", lookup=ring.lookup)
    verifier.verify(_token(ring))
    before = sum(kms.calls.values())
    seconds = 120
    for step in range(seconds * 10):  # ten forged tokens a second, each with a new kid
        clock.now += 0.1
        forged = issue(
            LocalSigner(), issuer="berth", subject="user:a", audience="berth", access=ACCESS
        )[0]
        with pytest.raises(TokenError):
            verifier.verify(forged)
        assert step < 5 or sum(kms.calls.values()) - before <= 2 * (clock.now // 30 + 1)
    calls = sum(kms.calls.values()) - before
    # One early resolution (one call per alias, current and previous) per 30 s at most. The
    # key here is from before derivation: GenerateMac only probed it once (and still probes
    # the missing previous alias), GetPublicKey reads it, and tokens go through KMS Sign.
    assert 0 < calls <= 2 * (seconds // 30 + 1)
    assert set(kms.calls) == {"generate_mac", "get_public_key", "sign"}


def test_signing_retries_once_when_kms_refuses_a_rotated_away_key(stage: str) -> None:
    import boto3
    from botocore.exceptions import ClientError

    real = boto3.client("kms")
    old_arn = real.describe_key(KeyId=token_key_alias(stage))["KeyMetadata"]["Arn"]

    class DenyOld(CountingKms):
        def __getattr__(self, name: str) -> Any:
            call = super().__getattr__(name)
            if name != "sign":
                return call

            def sign(**kw: Any) -> Any:
                if kw["KeyId"] == old_arn:  # as IAM does: Sign only on the current alias
                    raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "Sign")
                return call(**kw)

            return sign

    clock = Clock()
    ring = _ring(stage, DenyOld(real), clock)
    ring.current()  # resolved: the old key
    rotate(real, stage, now=LATER)
    token = _token(ring)  # refused, resolved again, signed with the new key
    verifier = Verifier([], issuer="berth", audience="berth", lookup=ring.lookup)
    assert verifier.verify(token).subject == "user:a"
    assert ring.current().arn != old_arn


def test_rotate_refuses_to_retire_a_key_whose_tokens_may_live(stage: str) -> None:
    import boto3

    kms = boto3.client("kms")
    first = rotate(kms, stage)  # no previous key yet: nothing to retire, always allowed
    assert first.retired_key is None
    with pytest.raises(RotateError, match="--force"):
        rotate(kms, stage)  # the current key is seconds old
    soon = datetime.now(UTC) + MIN_KEY_AGE + timedelta(seconds=5)
    second = rotate(kms, stage, now=soon, schedule_deletion=True)
    assert second.retired_key is not None and second.retired_deletion_scheduled
    assert second.previous_key == first.new_key
    state = kms.describe_key(KeyId=second.retired_key)["KeyMetadata"]["KeyState"]
    assert state == "PendingDeletion"
    third = rotate(kms, stage, force=True)
    assert third.previous_key == second.new_key
    alias = token_key_alias(stage)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == third.new_key
    assert kms.describe_key(KeyId=f"{alias}-previous")["KeyMetadata"]["KeyId"] == (second.new_key)
    with pytest.raises(RotateError, match="does not exist"):
        rotate(kms, f"none{uuid.uuid4().hex[:6]}")


@pytest.fixture
def rotating_gate(
    stage: str, auth_on: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Clock]]:
    """The app's gate signing with `stage`'s key, its ring on an injected clock."""
    import boto3

    from chalicelib.auth import gate, process_caches
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_TOKEN_KEY", token_key_alias(stage))
    auth_settings.cache_clear()
    gate.reset()
    clock = Clock()
    monkeypatch.setattr(process_caches, "_ring", _ring(stage, boto3.client("kms"), clock))
    yield stage, clock
    gate.reset()


def test_rotation_through_the_registry(client: Any, rotating_gate: tuple[str, Clock]) -> None:
    import boto3

    stage, clock = rotating_gate
    repo = f"{unique('rot')}/app"
    reader = user("reader", [(repo, Level.PULL)])
    before = token_of(client, reader, [f"repository:{repo}:pull"])
    assert before is not None
    path = f"/v2/{repo}/tags/list"
    assert client.http.get(path, headers=bearer(before)).status_code == 404  # through
    rotate(boto3.client("kms"), stage, now=LATER)
    clock.now += 300
    after = token_of(client, reader, [f"repository:{repo}:pull"])
    assert after is not None and _kid(after) != _kid(before)
    assert client.http.get(path, headers=bearer(before)).status_code == 404
    assert client.http.get(path, headers=bearer(after)).status_code == 404
    rotate(boto3.client("kms"), stage, now=LATER + timedelta(days=1))
    clock.now += 300
    refused = client.http.get(path, headers=bearer(before))
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert client.http.get(path, headers=bearer(after)).status_code == 404


def test_a_previous_key_kms_will_not_show_only_refuses_its_own_tokens(stage: str) -> None:
    """Where IAM cannot match a missing alias it may answer AccessDenied, not NotFound: the
    ring then lists the current key alone (the previous key's tokens are refused), and does
    not fail every token."""
    import boto3
    from botocore.exceptions import ClientError

    previous = previous_alias(token_key_alias(stage))

    class Denying(CountingKms):
        def __getattr__(self, name: str) -> Any:
            call = super().__getattr__(name)

            def guarded(**kw: Any) -> Any:
                if kw.get("KeyId") == previous:
                    raise ClientError({"Error": {"Code": "AccessDeniedException"}}, name)
                return call(**kw)

            return guarded

    kms = boto3.client("kms")
    ring = _ring(stage, Denying(kms), Clock())
    verifier = Verifier([], issuer="berth", audience="berth", lookup=ring.lookup)
    assert verifier.verify(_token(ring)).subject == "user:a"
    assert len(ring.listed()) == 1
