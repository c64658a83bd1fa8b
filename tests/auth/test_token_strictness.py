"""One spelling per token and a bounded life (issue 11, "Also"): the verifier refuses a
high-S ES256 signature (`(r, n - s)` of a valid one verifies too: malleable) and a token
whose `exp - iat` exceeds the configured maximum; tokens Berth signs are always low-S, even
when the signer (KMS) answers high-S."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.auth.scope import ResourceScope
from chalicelib.auth.tokens import (
    HALF_ORDER,
    P256_ORDER,
    KmsSigner,
    LocalSigner,
    TokenError,
    Verifier,
    b64url_decode,
    b64url_encode,
    issue,
)

NOW = 1_800_000_000
SIGNER = LocalSigner()
ACCESS = [ResourceScope("repository", "team/app", ("pull",))]


def _verifier(**kw: Any) -> Verifier:
    return Verifier([SIGNER.public_key()], issuer="berth", audience="berth", **kw)


def _issue(signer: Any = SIGNER, **kw: Any) -> str:
    options: dict[str, Any] = {
        "issuer": "berth",
        "subject": "user:alice",
        "audience": "berth",
        "access": ACCESS,
        "now": NOW,
    } | kw
    return issue(signer, **options)[0]


def _s(token: str) -> int:
    return int.from_bytes(b64url_decode(token.rsplit(".", 1)[1])[32:], "big")


def _flipped(token: str) -> str:
    """The same token with the other spelling of its signature, (r, n - s)."""
    head, signature = token.rsplit(".", 1)
    raw = b64url_decode(signature)
    s = int.from_bytes(raw[32:], "big")
    return f"{head}.{b64url_encode(raw[:32] + (P256_ORDER - s).to_bytes(32, 'big'))}"


class HighS:
    """A signer that answers the high-S spelling whenever it can (as KMS may)."""

    def __init__(self, inner: LocalSigner) -> None:
        self.inner = inner

    def public_key(self) -> Any:
        return self.inner.public_key()

    def sign(self, message: bytes) -> bytes:
        raw = self.inner.sign(message)
        s = int.from_bytes(raw[32:], "big")
        return raw[:32] + (P256_ORDER - s).to_bytes(32, "big") if s <= HALF_ORDER else raw


@settings(max_examples=40, deadline=None)
@given(subject=st.from_regex(r"user:[a-z]{1,20}", fullmatch=True))
def test_issued_tokens_are_low_s_and_their_high_s_twin_is_refused(subject: str) -> None:
    token = _issue(HighS(SIGNER), subject=subject)
    assert _s(token) <= HALF_ORDER
    assert _verifier().verify(token, now=NOW).subject == subject
    with pytest.raises(TokenError, match="signature"):
        _verifier().verify(_flipped(token), now=NOW)


class HighSKms:
    """A KMS client whose Sign answers are turned high-S (DER), as real KMS's may be."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get_public_key(self, **kw: Any) -> Any:
        return self.client.get_public_key(**kw)

    def sign(self, **kw: Any) -> Any:
        from cryptography.hazmat.primitives.asymmetric.utils import (
            decode_dss_signature,
            encode_dss_signature,
        )

        answer = dict(self.client.sign(**kw))
        r, s = decode_dss_signature(answer["Signature"])
        answer["Signature"] = encode_dss_signature(r, s if s > HALF_ORDER else P256_ORDER - s)
        return answer


def test_kms_high_s_answers_are_normalised(aws: dict[str, str]) -> None:
    import boto3

    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signer = KmsSigner(key, client=HighSKms(kms))
    verifier = Verifier([signer.public_key()], issuer="berth", audience="berth")
    for _ in range(4):
        token = _issue(signer)
        assert _s(token) <= HALF_ORDER
        assert verifier.verify(token, now=NOW).subject == "user:alice"


@pytest.mark.parametrize(("ttl", "maximum", "ok"), [(300, 300, True), (301, 300, False)])
def test_a_token_longer_lived_than_the_maximum_is_refused(ttl: int, maximum: int, ok: bool) -> None:
    token = _issue(ttl=ttl)
    verifier = _verifier(max_lifetime=maximum)
    if ok:
        assert verifier.verify(token, now=NOW).expires_at == NOW + ttl
    else:
        with pytest.raises(TokenError, match="longer"):
            verifier.verify(token, now=NOW)


def test_a_ten_year_token_is_refused_by_default() -> None:
    with pytest.raises(TokenError, match="longer"):
        _verifier().verify(_issue(ttl=10 * 365 * 86400), now=NOW)


def test_the_gate_caps_lifetimes_at_its_setting(
    auth_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.auth import gate
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_TOKEN_TTL", "300")
    monkeypatch.setenv("BERTH_TOKEN_MAX_LIFETIME", "600")
    auth_settings.cache_clear()
    gate.reset()
    assert gate.verifier().max_lifetime == 600
    monkeypatch.setenv("BERTH_TOKEN_MAX_LIFETIME", "30")  # never below what it issues
    auth_settings.cache_clear()
    gate.reset()
    assert gate.verifier().max_lifetime == 300
    long_lived = gate.key_ring().issue(
        issuer="berth", subject="user:a", audience="berth", access=ACCESS, ttl=3600
    )[0]
    with pytest.raises(TokenError, match="longer"):
        gate.verifier().verify(long_lived)
    claims = json.loads(b64url_decode(long_lived.split(".")[1]))
    assert claims["exp"] - claims["iat"] == 3600
