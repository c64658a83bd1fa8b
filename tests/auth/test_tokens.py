"""ES256 access tokens: issue, verify, and everything verification must refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import (
    LocalSigner,
    TokenError,
    Verifier,
    b64url_decode,
    b64url_encode,
    issue,
    key_id,
)

NOW = 1_800_000_000
SIGNER = LocalSigner()
OTHER = LocalSigner()
ACCESS = [ResourceScope("repository", "team/app", ("pull", "push"))]


def verifier(**kw: Any) -> Verifier:
    options: dict[str, Any] = {"issuer": "berth", "audience": "berth"} | kw
    return Verifier([SIGNER.public_key()], **options)


def make(**kw: Any) -> str:
    options: dict[str, Any] = {
        "issuer": "berth",
        "subject": "user:alice",
        "audience": "berth",
        "access": ACCESS,
        "now": NOW,
    } | kw
    token, _ = issue(SIGNER, **options)
    return token


def forge(
    header: dict[str, Any],
    payload: dict[str, Any],
    signer: LocalSigner | None = SIGNER,
    signature: bytes | None = None,
) -> str:
    h = b64url_encode(json.dumps(header).encode())
    p = b64url_encode(json.dumps(payload).encode())
    if signature is None:
        signature = signer.sign(f"{h}.{p}".encode()) if signer else b""
    return f"{h}.{p}.{b64url_encode(signature)}"


def payload(**kw: Any) -> dict[str, Any]:
    return {
        "iss": "berth",
        "sub": "user:alice",
        "aud": "berth",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 300,
        "jti": "x",
        "access": [a.claim() for a in ACCESS],
    } | kw


HEADER = {"alg": "ES256", "typ": "JWT", "kid": key_id(SIGNER.public_key())}


def test_round_trip() -> None:
    token, claims = issue(
        SIGNER,
        issuer="berth",
        subject="user:alice",
        audience="berth",
        access=ACCESS,
        now=NOW,
        ttl=10,
    )
    got = verifier().verify(token, now=NOW + 1)
    assert got == claims
    assert got.expires_at == NOW + 60  # never under 60 s
    assert got.access == tuple(ACCESS)
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == HEADER


def test_forged_payload_with_valid_signature_passes() -> None:
    assert verifier().verify(forge(HEADER, payload()), now=NOW).subject == "user:alice"


@pytest.mark.parametrize(
    ("header", "body", "signer"),
    [
        ({"alg": "none", "kid": HEADER["kid"]}, payload(), None),
        ({"alg": "HS256", "kid": HEADER["kid"]}, payload(), SIGNER),
        ({"alg": "ES384", "kid": HEADER["kid"]}, payload(), SIGNER),
        ({"alg": "es256", "kid": HEADER["kid"]}, payload(), SIGNER),
        (HEADER | {"kid": "other"}, payload(), SIGNER),
        ({"alg": "ES256"}, payload(), SIGNER),
        (HEADER | {"crit": ["exp"]}, payload(), SIGNER),
        (HEADER | {"typ": "JWS"}, payload(), SIGNER),
        (HEADER, payload(), OTHER),
        (HEADER, payload(iss="evil"), SIGNER),
        (HEADER, payload(aud="other-registry"), SIGNER),
        (HEADER, payload(aud=["other"]), SIGNER),
        (HEADER, payload(exp=NOW - 61), SIGNER),
        (HEADER, payload(nbf=NOW + 61), SIGNER),
        (HEADER, payload(iat=NOW + 61), SIGNER),
        (HEADER, payload(exp=str(NOW + 300)), SIGNER),
        (HEADER, payload(exp=True), SIGNER),
        (HEADER, payload(sub=""), SIGNER),
        (HEADER, payload(access={"type": "repository"}), SIGNER),
        (HEADER, payload(access=[{"type": "repository", "name": "a", "actions": "pull"}]), SIGNER),
        (HEADER, payload(iat_ms=(NOW - 1) * 1000), SIGNER),  # iat and iat_ms must agree
        (HEADER, payload(iat_ms=(NOW + 1) * 1000), SIGNER),
        (HEADER, payload(iat_ms=str(NOW * 1000)), SIGNER),
    ],
)
def test_refused(header: dict[str, Any], body: dict[str, Any], signer: LocalSigner | None) -> None:
    with pytest.raises(TokenError):
        verifier().verify(forge(header, body, signer), now=NOW)


def test_skew_allowance() -> None:
    v = verifier(leeway=60)
    assert v.verify(forge(HEADER, payload(exp=NOW - 59)), now=NOW)
    assert v.verify(forge(HEADER, payload(nbf=NOW + 59, iat=NOW + 59)), now=NOW)
    with pytest.raises(TokenError, match="expired"):
        verifier().verify(make(), now=NOW + 300 + 60)


def test_tampering() -> None:
    token = make()
    h, p, s = token.split(".")
    evil = b64url_encode(
        json.dumps(
            payload(access=[{"type": "repository", "name": "team/app", "actions": ["*"]}])
        ).encode()
    )
    for bad in [
        f"{h}.{evil}.{s}",
        f"{h}.{p}.{s[:-2]}AA",
        f"{h}.{p}.",
        f"{h}.{p}",
        token + ".x",
        f"{h}.{p}.{s}=",
        f"{h} .{p}.{s}",
        "",
    ]:
        with pytest.raises(TokenError):
            verifier().verify(bad, now=NOW)


def test_duplicate_members_refused() -> None:
    h = b64url_encode(b'{"alg":"ES256","alg":"none","kid":"%s"}' % HEADER["kid"].encode())
    p = b64url_encode(json.dumps(payload()).encode())
    token = f"{h}.{p}.{b64url_encode(SIGNER.sign(f'{h}.{p}'.encode()))}"
    with pytest.raises(TokenError, match="duplicate"):
        verifier().verify(token, now=NOW)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_fuzz_only_token_error(text: str) -> None:
    with pytest.raises(TokenError):
        verifier().verify(text, now=NOW)


@settings(max_examples=200)
@given(st.integers(0, 3), st.integers(0, 400), st.binary(min_size=1, max_size=3))
def test_any_byte_flip_is_refused(part: int, offset: int, noise: bytes) -> None:
    token = make()
    raw = bytearray(token.encode())
    if part == 3:
        raw += noise
    else:
        i = offset % len(raw)
        raw[i] = raw[i] ^ (noise[0] or 1)
    mutated = raw.decode("latin-1")
    if mutated == token:
        return
    try:
        claims = verifier().verify(mutated, now=NOW)
    except TokenError:
        return
    # base64url's last character carries spare bits: a flip there may decode the same.
    assert claims == verifier().verify(token, now=NOW)
