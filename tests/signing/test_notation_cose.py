"""Notation's COSE_Sign1 envelope, built with an independent CBOR encoder: valid signatures
verify; tampering, wrong subject, untrusted root, missing EKU, expiry and malformed CBOR fail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib.signing.notation_cose import verify_notation_cose
from tests.signing.cose_builder import Tag, cbor, cose_envelope, cose_protected
from tests.signing.pki import NOW, OTHER, SUBJECT, ca, leaf, notation_payload

KEYS: dict[str, Any] = {
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
    "PS256": lambda: rsa.generate_private_key(65537, 2048),
}


@pytest.fixture(scope="module")
def root() -> Any:
    return ca()


@pytest.fixture(scope="module")
def signer(root: Any) -> Any:
    return leaf(root)


def _verify(envelope: bytes, root: Any) -> Any:
    return verify_notation_cose(envelope, SUBJECT, [root.certificate], NOW)


@pytest.mark.parametrize("alg", KEYS)
def test_each_algorithm_verifies(root: Any, alg: str) -> None:
    signer = leaf(root, KEYS[alg]())
    verdict = _verify(cose_envelope(signer, [root.certificate], alg=alg), root)
    assert verdict.verified, verdict.reason
    assert verdict.signer == "CN=release signer"


def test_tampered_payload_is_refused(root: Any, signer: Any) -> None:
    envelope = cose_envelope(
        signer, [root.certificate], payload=notation_payload(), signed_payload=b"{}"
    )
    verdict = _verify(envelope, root)
    assert not verdict.verified and "does not verify" in verdict.reason


def test_other_artifact_is_refused(root: Any, signer: Any) -> None:
    envelope = cose_envelope(signer, [root.certificate], payload=notation_payload(OTHER))
    verdict = _verify(envelope, root)
    assert not verdict.verified and f"not {SUBJECT}" in verdict.reason


def test_untrusted_root_is_refused(root: Any, signer: Any) -> None:
    envelope = cose_envelope(signer, [root.certificate])
    verdict = verify_notation_cose(envelope, SUBJECT, [ca().certificate], NOW)
    assert not verdict.verified and "trusted root" in verdict.reason


def test_leaf_without_code_signing_is_refused(root: Any) -> None:
    verdict = _verify(cose_envelope(leaf(root, eku=[]), [root.certificate]), root)
    assert not verdict.verified and "extended key usage" in verdict.reason


def test_expired_leaf_is_refused(root: Any) -> None:
    old = leaf(root, not_before=NOW - dt.timedelta(days=9), not_after=NOW - dt.timedelta(days=2))
    verdict = _verify(cose_envelope(old, [root.certificate]), root)
    assert not verdict.verified and "signing time" in verdict.reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({2: ["io.cncf.notary.signingScheme", 1]}, "may not list label 1"),
        ({2: ["io.cncf.notary.signingScheme", "x"], "x": 1}, "not understood"),
        ({3: "application/json"}, "content type"),
        ({1: -8}, "not allowed"),
        ({"io.cncf.notary.signingTime": "2024-01-01T00:00:00Z"}, "epoch"),
        ({"io.cncf.notary.expiry": Tag(1, 0)}, "must be listed in crit"),
        (
            {
                "io.cncf.notary.expiry": Tag(1, 0),
                2: ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"],
            },
            "expired",
        ),
    ],
)
def test_protected_header_violations_are_refused(
    root: Any, signer: Any, change: dict[Any, Any], reason: str
) -> None:
    envelope = cose_envelope(signer, [root.certificate], protected=cose_protected(extra=change))
    verdict = _verify(envelope, root)
    assert not verdict.verified and reason in verdict.reason


def test_untagged_or_malformed_envelopes_are_refused(root: Any, signer: Any) -> None:
    assert "COSE_Sign1_Tagged" in _verify(cose_envelope(signer, [], tag=98), root).reason
    assert "not CBOR" in _verify(cose_envelope(signer, [])[:-5], root).reason
    assert "not CBOR" in _verify(b"\x9f\xff", root).reason  # indefinite-length array
    assert not _verify(cbor(Tag(18, [b"", {}, b"", b""])), root).verified
