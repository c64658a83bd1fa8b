"""Tokens signed with a key derived from a KMS HMAC key (chalicelib/auth/derived_keys.py),
against moto's KMS: they verify, issuing costs no KMS call once the key is resolved (counted
with bench.awscalls' recorder, as the pull-path call tests count), rotation moves to a new
key, a stage still on a KMS signing key moves over without refusing its tokens, and a
tampered token is refused. An injected clock, no sleeps."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.awscalls import recording
from berth.deploy.iam_policy import token_key_alias
from berth.deploy.keys import rotate
from berth.infra import TOKEN_KEY_SPEC, TOKEN_KEY_USAGE
from chalicelib.auth.auth_settings import previous_alias
from chalicelib.auth.derived_keys import derive, private_key_from_mac
from chalicelib.auth.keyring import KeyRing
from chalicelib.auth.permissions import Level
from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import P256_ORDER, TokenError, Verifier
from tests.auth.gate_support import Clock, bearer, token_of, unique, user

ACCESS = [ResourceScope("repository", "a/b", ("pull",))]
LATER = datetime.now(UTC) + timedelta(days=1)


def _stage(spec: str, usage: str) -> str:
    import boto3

    kms = boto3.client("kms")
    name = f"drv{uuid.uuid4().hex[:8]}"
    key = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    kms.create_alias(AliasName=token_key_alias(name), TargetKeyId=key["KeyId"])
    return name


@pytest.fixture
def stage(aws: dict[str, str]) -> str:
    """A stage of this test's own whose alias names an HMAC key, as the stack makes now."""
    return _stage(TOKEN_KEY_SPEC, TOKEN_KEY_USAGE)


def _ring(stage: str, clock: Clock) -> KeyRing:
    import boto3

    alias = token_key_alias(stage)
    return KeyRing(alias, previous_alias(alias), client=boto3.client("kms"), clock=clock)


def _token(ring: KeyRing) -> str:
    return ring.issue(issuer="berth", subject="user:a", audience="berth", access=ACCESS)[0]


def _kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def _verifier(ring: KeyRing) -> Verifier:
    return Verifier([], issuer="berth", audience="berth", lookup=ring.lookup)


def test_issuing_costs_no_kms_call_after_the_first(stage: str) -> None:
    clock = Clock()
    with recording() as recorder:
        ring = _ring(stage, clock)
        with recorder.window() as first:
            token = _token(ring)
        with recorder.window() as later:
            tokens = [_token(ring) for _ in range(50)]
            clock.now += ring.resolve_every - 1  # still within one resolution
            tokens.append(_token(ring))
    # The first token resolves the current alias: one GenerateMac (the previous alias is
    # asked only for a kid the ring does not list).
    assert [c.describe() for c in first.calls] == ["kms:GenerateMac"]
    assert later.calls == []
    verifier = _verifier(ring)
    for each in [token, *tokens]:
        assert verifier.verify(each).subject == "user:a"
    assert len({_kid(t) for t in [token, *tokens]}) == 1


def test_every_instance_derives_the_same_key(stage: str) -> None:
    one, other = _ring(stage, Clock()), _ring(stage, Clock())
    token = _token(one)
    assert _kid(token) == _kid(_token(other))
    assert _verifier(other).verify(token).subject == "user:a"


def test_a_new_instance_asks_for_the_previous_key_only_when_a_token_needs_it(stage: str) -> None:
    import boto3

    old = _token(_ring(stage, Clock()))
    rotate(boto3.client("kms"), stage, now=LATER)
    with recording() as recorder:
        fresh = _ring(stage, Clock())
        verifier = _verifier(fresh)
        with recorder.window() as started:
            new = _token(fresh)
        with recorder.window() as needed:
            assert verifier.verify(old).subject == "user:a"  # the previous key's token
        with recorder.window() as after:
            assert verifier.verify(old).subject == "user:a"
            assert verifier.verify(new).subject == "user:a"
    assert [c.describe() for c in started.calls] == ["kms:GenerateMac"]
    # The unknown kid resolves again, the previous alias included, once.
    assert [c.describe() for c in needed.calls] == ["kms:GenerateMac", "kms:GenerateMac"]
    assert after.calls == []


def test_a_tampered_token_is_refused(stage: str) -> None:
    ring = _ring(stage, Clock())
    verifier = _verifier(ring)
    token = _token(ring)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "user:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for bad in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(TokenError):
            verifier.verify(bad)


def test_rotation_moves_to_a_new_derived_key(stage: str) -> None:
    import boto3

    clock = Clock()
    ring = _ring(stage, clock)
    verifier = _verifier(ring)
    first = _token(ring)
    rotate(boto3.client("kms"), stage, now=LATER)
    clock.now += ring.resolve_every
    second = _token(ring)
    assert _kid(second) != _kid(first)
    assert verifier.verify(first).subject == "user:a"  # the previous key still verifies
    assert verifier.verify(second).subject == "user:a"
    rotate(boto3.client("kms"), stage, now=LATER + timedelta(days=1))
    clock.now += ring.resolve_every
    assert verifier.verify(second).subject == "user:a"
    with pytest.raises(TokenError, match="unknown signing key"):
        verifier.verify(first)  # retired: nothing it signed verifies


def test_a_stage_on_a_kms_signing_key_moves_over_without_refusing_its_tokens(
    aws: dict[str, str],
) -> None:
    import boto3

    stage = _stage("ECC_NIST_P256", "SIGN_VERIFY")
    clock = Clock()
    with recording() as recorder:
        ring = _ring(stage, clock)
        verifier = _verifier(ring)
        with recorder.window() as legacy:
            old = _token(ring)
        rotate(boto3.client("kms"), stage, now=LATER)
        clock.now += ring.resolve_every
        _token(ring)  # resolves: the new key is derived, the old one still listed
        with recorder.window() as derived:
            new = _token(ring)
    assert "kms:Sign" in [c.describe() for c in legacy.calls]
    assert derived.calls == []
    assert _kid(new) != _kid(old)
    assert verifier.verify(old).subject == "user:a"
    assert verifier.verify(new).subject == "user:a"
    key = boto3.client("kms").describe_key(KeyId=token_key_alias(stage))["KeyMetadata"]
    assert (key["KeySpec"], key["KeyUsage"]) == (TOKEN_KEY_SPEC, TOKEN_KEY_USAGE)


@pytest.mark.usefixtures("auth_on")
def test_the_token_endpoint_calls_kms_at_most_once_per_process(client: Any) -> None:
    """Through the API: after the first token of the process, a token costs the login's
    table reads and no KMS call, and it opens the registry."""
    repo = unique("drv/r")
    caller = user("puller", [(repo, Level.PULL)])
    scope = [f"repository:{repo}:pull"]
    assert token_of(client, caller, scope) is not None
    with recording() as recorder, recorder.window() as tally:
        tokens = [token_of(client, caller, scope) for _ in range(3)]
    assert all(tokens)
    assert [c for c in tally.calls if c.service == "kms"] == []
    answer = client.http.get(f"/v2/{repo}/tags/list", headers=bearer(str(tokens[-1])))
    assert answer.status_code in (200, 404)  # past the gate: the repository may be empty


@settings(max_examples=200)
@given(st.binary(min_size=32, max_size=32))
def test_every_mac_gives_a_valid_key_and_the_same_one_every_time(mac: bytes) -> None:
    key = private_key_from_mac(mac)
    scalar = key.private_numbers().private_value
    assert 1 <= scalar < P256_ORDER
    assert private_key_from_mac(mac).private_numbers().private_value == scalar


def test_derive_refuses_a_key_that_is_not_an_hmac_key(aws: dict[str, str]) -> None:
    import boto3
    from botocore.exceptions import ClientError

    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError):
        derive(kms, key["KeyId"])
    with pytest.raises(ValueError):
        private_key_from_mac(b"short")
