"""cosign v3's Sigstore bundle v0.3: a DSSE envelope over an in-toto statement, with a
public-key hint or a certificate chaining to a trusted root; each tampering is refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.signing.dsse import pae as berth_pae
from chalicelib.signing.sigstore_bundle import verify_sigstore_bundle
from tests.signing.pki import (
    NOW,
    OTHER,
    SUBJECT,
    b64,
    bundle,
    ca,
    der,
    leaf,
    pae,
    pem,
    sign_der,
    statement,
)

IN_TOTO = "application/vnd.in-toto+json"
HINT = {"publicKey": {"hint": "release-key"}}


def _key_bundle(key: Any, payload: bytes | None = None, signed: bytes | None = None) -> bytes:
    signed = signed if signed is not None else (payload or statement())
    return bundle(sign_der(key, pae(IN_TOTO, signed)), payload or statement(), HINT)


def test_pae_matches_the_envelope_proto_definition() -> None:
    assert berth_pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert berth_pae(IN_TOTO, b"x") == pae(IN_TOTO, b"x")


def test_public_key_bundle_verifies() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    verdict = verify_sigstore_bundle(_key_bundle(key), SUBJECT, [pem(key)], [], NOW)
    assert verdict.verified, verdict.reason
    assert verdict.signer.startswith("sha256:") and not verdict.transparency_log_entry


def test_untrusted_key_is_refused() -> None:
    key, stranger = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    verdict = verify_sigstore_bundle(_key_bundle(key), SUBJECT, [pem(stranger)], [], NOW)
    assert not verdict.verified and "any trusted key" in verdict.reason


def test_tampered_statement_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signed = statement()
    tampered = signed.replace(b'"predicate": {}', b'"predicate": {"x": 1}')
    verdict = verify_sigstore_bundle(
        _key_bundle(key, tampered, signed), SUBJECT, [pem(key)], [], NOW
    )
    assert not verdict.verified and "does not verify" in verdict.reason


def test_signature_over_the_bare_payload_instead_of_pae_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    document = bundle(sign_der(key, statement()), statement(), HINT)
    assert not verify_sigstore_bundle(document, SUBJECT, [pem(key)], [], NOW).verified


def test_statement_for_another_image_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    verdict = verify_sigstore_bundle(
        _key_bundle(key, statement(OTHER)), SUBJECT, [pem(key)], [], NOW
    )
    assert not verdict.verified and f"does not name {SUBJECT}" in verdict.reason


def test_other_payload_type_and_media_type_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    document = json.loads(_key_bundle(key))
    document["dsseEnvelope"]["payloadType"] = "text/plain"
    verdict = verify_sigstore_bundle(json.dumps(document).encode(), SUBJECT, [pem(key)], [], NOW)
    assert not verdict.verified and "payload type" in verdict.reason
    document = json.loads(_key_bundle(key))
    document["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.2+json"
    verdict = verify_sigstore_bundle(json.dumps(document).encode(), SUBJECT, [pem(key)], [], NOW)
    assert not verdict.verified and "media type" in verdict.reason


def _certificate_bundle(signer: Any, *, tlog: bool = False) -> bytes:
    signature = sign_der(signer.key, pae(IN_TOTO, statement()))
    material = {"certificate": {"rawBytes": b64(der(signer.certificate))}}
    return bundle(signature, statement(), material, tlog=tlog)


def test_certificate_bundle_chaining_to_a_trusted_root_verifies() -> None:
    root = ca()
    signer = leaf(root)
    document = _certificate_bundle(signer, tlog=True)
    verdict = verify_sigstore_bundle(document, SUBJECT, [], [root.certificate], NOW)
    assert verdict.verified, verdict.reason
    assert verdict.signer == "CN=release signer" and verdict.transparency_log_entry


def test_certificate_from_an_untrusted_root_is_refused() -> None:
    signer = leaf(ca("Somebody Else"))
    verdict = verify_sigstore_bundle(
        _certificate_bundle(signer), SUBJECT, [], [ca().certificate], NOW
    )
    assert not verdict.verified and "trusted root" in verdict.reason


def test_expired_certificate_is_refused() -> None:
    root = ca()
    signer = leaf(root, not_before=NOW - dt.timedelta(days=3), not_after=NOW - dt.timedelta(days=1))
    verdict = verify_sigstore_bundle(
        _certificate_bundle(signer), SUBJECT, [], [root.certificate], NOW
    )
    assert not verdict.verified and "trusted root" in verdict.reason


def test_certificate_whose_key_did_not_sign_is_refused() -> None:
    root = ca()
    signer = leaf(root)
    impostor = leaf(root)
    signature = sign_der(impostor.key, pae(IN_TOTO, statement()))
    material = {"certificate": {"rawBytes": b64(der(signer.certificate))}}
    verdict = verify_sigstore_bundle(
        bundle(signature, statement(), material), SUBJECT, [], [root.certificate], NOW
    )
    assert not verdict.verified and "certificate's key" in verdict.reason


def test_message_signature_bundles_are_refused_as_unsupported() -> None:
    document = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": HINT,
        "messageSignature": {"signature": "AAAA"},
    }
    verdict = verify_sigstore_bundle(json.dumps(document).encode(), SUBJECT, [], [], NOW)
    assert not verdict.verified and "not supported" in verdict.reason
