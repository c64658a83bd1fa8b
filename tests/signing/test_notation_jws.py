"""Notation's JWS envelope: ES256/384/512 and PS256/384/512 signatures by a code-signing leaf
chaining to a trust-store root verify; every departure from the spec is refused with a reason."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from chalicelib.signing.notation_jws import verify_notation_jws
from tests.signing.pki import (
    NOW,
    OTHER,
    SUBJECT,
    b64url,
    ca,
    leaf,
    notation_envelope,
    notation_payload,
    notation_protected,
)

ALGORITHMS: dict[str, Any] = {
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
    "PS256": lambda: rsa.generate_private_key(65537, 2048),
    "PS384": lambda: rsa.generate_private_key(65537, 3072),
    "PS512": lambda: rsa.generate_private_key(65537, 4096),
}


@pytest.fixture(scope="module")
def root() -> Any:
    return ca()


@pytest.fixture(scope="module")
def signer(root: Any) -> Any:
    return leaf(root)


def _verify(envelope: bytes, root: Any, digest: str = SUBJECT) -> Any:
    return verify_notation_jws(envelope, digest, [root.certificate], NOW)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_each_algorithm_verifies_and_names_the_leaf(root: Any, alg: str) -> None:
    signer = leaf(root, ALGORITHMS[alg]())
    verdict = _verify(notation_envelope(signer, [root.certificate], alg=alg), root)
    assert verdict.verified, verdict.reason
    assert verdict.signer == "CN=release signer"


def test_chain_without_its_root_or_out_of_order_is_refused(root: Any, signer: Any) -> None:
    verdict = _verify(notation_envelope(signer, []), root)
    assert not verdict.verified and "does not end with its root" in verdict.reason
    verdict = _verify(notation_envelope(signer, [ca("Unrelated").certificate]), root)
    assert not verdict.verified and "not issued by the next one" in verdict.reason


def test_alg_not_matching_the_key_is_refused(root: Any, signer: Any) -> None:
    envelope = json.loads(notation_envelope(signer, [root.certificate]))
    header = notation_protected("ES384")
    envelope["protected"] = b64url(json.dumps(header).encode())
    verdict = _verify(json.dumps(envelope).encode(), root)
    assert not verdict.verified and "does not match" in verdict.reason


def test_tampered_payload_is_refused(root: Any, signer: Any) -> None:
    envelope = json.loads(notation_envelope(signer, [root.certificate]))
    document = json.loads(base64.urlsafe_b64decode(envelope["payload"] + "=="))
    document["targetArtifact"]["size"] = 1
    envelope["payload"] = b64url(json.dumps(document).encode())
    verdict = _verify(json.dumps(envelope).encode(), root)
    assert not verdict.verified and "does not verify" in verdict.reason


def test_signature_for_another_artifact_is_refused(root: Any, signer: Any) -> None:
    envelope = notation_envelope(signer, [root.certificate], payload=notation_payload(OTHER))
    verdict = _verify(envelope, root)
    assert not verdict.verified and f"not {SUBJECT}" in verdict.reason


def test_untrusted_root_is_refused(signer: Any, root: Any) -> None:
    verdict = verify_notation_jws(
        notation_envelope(signer, [root.certificate]), SUBJECT, [ca().certificate], NOW
    )
    assert not verdict.verified and "trusted root" in verdict.reason


def test_empty_trust_store_is_refused(signer: Any, root: Any) -> None:
    verdict = verify_notation_jws(notation_envelope(signer, [root.certificate]), SUBJECT, [], NOW)
    assert not verdict.verified and "no trusted root" in verdict.reason


def test_expired_leaf_is_refused(root: Any) -> None:
    expired = leaf(
        root, not_before=NOW - dt.timedelta(days=9), not_after=NOW - dt.timedelta(days=2)
    )
    verdict = _verify(notation_envelope(expired, [root.certificate]), root)
    assert not verdict.verified and "not valid at the signing time" in verdict.reason


def test_signing_time_outside_the_leaf_validity_is_refused(root: Any, signer: Any) -> None:
    late = (NOW + dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = notation_protected(**{"io.cncf.notary.signingTime": late})
    verdict = _verify(notation_envelope(signer, [root.certificate], protected=header), root)
    assert not verdict.verified and "signing time" in verdict.reason


@pytest.mark.parametrize(
    "eku",
    [
        [],
        [ExtendedKeyUsageOID.SERVER_AUTH],
        [ExtendedKeyUsageOID.CODE_SIGNING, ExtendedKeyUsageOID.CLIENT_AUTH],
    ],
)
def test_leaf_without_code_signing_only_eku_is_refused(root: Any, eku: list[Any]) -> None:
    verdict = _verify(notation_envelope(leaf(root, eku=eku), [root.certificate]), root)
    assert not verdict.verified and "extended key usage" in verdict.reason


def test_unknown_critical_header_is_refused(root: Any, signer: Any) -> None:
    header = notation_protected(
        **{
            "io.cncf.notary.verificationPlugin": "x",
            "crit": ["io.cncf.notary.signingScheme", "io.cncf.notary.verificationPlugin"],
        }
    )
    verdict = _verify(notation_envelope(signer, [root.certificate], protected=header), root)
    assert not verdict.verified and "not understood" in verdict.reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"crit": []}, "crit must list"),
        ({"crit": ["io.cncf.notary.signingScheme", "alg"]}, "may not list"),
        ({"crit": ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"]}, "lacks"),
        ({"cty": "application/json"}, "cty"),
        ({"io.cncf.notary.signingScheme": "notary.x509.signingAuthority"}, "not supported"),
        ({"io.cncf.notary.expiry": "2099-01-01T00:00:00Z"}, "must be listed in crit"),
        ({"io.cncf.notary.signingTime": "yesterday"}, "RFC 3339"),
    ],
)
def test_protected_header_violations_are_refused(
    root: Any, signer: Any, change: dict[str, Any], reason: str
) -> None:
    header = notation_protected(**change)
    verdict = _verify(notation_envelope(signer, [root.certificate], protected=header), root)
    assert not verdict.verified and reason in verdict.reason


def test_expiry_honoured(root: Any, signer: Any) -> None:
    crit = ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"]
    future = notation_protected(**{"io.cncf.notary.expiry": "2999-01-01T00:00:00Z", "crit": crit})
    past = notation_protected(**{"io.cncf.notary.expiry": "2000-01-01T00:00:00Z", "crit": crit})
    assert _verify(notation_envelope(signer, [root.certificate], protected=future), root).verified
    verdict = _verify(notation_envelope(signer, [root.certificate], protected=past), root)
    assert not verdict.verified and "expired" in verdict.reason


@pytest.mark.parametrize("broken", ["truncated", "garbage", "zero_s", "s_above_order"])
def test_broken_signatures_are_refused(root: Any, signer: Any, broken: str) -> None:
    envelope = json.loads(notation_envelope(signer, [root.certificate]))
    raw = base64.urlsafe_b64decode(envelope["signature"] + "==")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    s = int.from_bytes(raw[32:], "big")
    signature = {
        "truncated": raw[:-1],
        "garbage": b"\x01" * 64,
        "zero_s": raw[:32] + bytes(32),
        "s_above_order": raw[:32] + ((s + order) % 2**256).to_bytes(32, "big"),
    }[broken]
    envelope["signature"] = b64url(signature)
    verdict = _verify(json.dumps(envelope).encode(), root)
    assert not verdict.verified and verdict.reason


def test_extra_top_level_fields_are_refused(root: Any, signer: Any) -> None:
    envelope = json.loads(notation_envelope(signer, [root.certificate]))
    envelope["signatures"] = []
    verdict = _verify(json.dumps(envelope).encode(), root)
    assert not verdict.verified and "flattened" in verdict.reason
