"""cosign's legacy simple-signing signature: each supported key type verifies; a tampered
payload, another image's digest, an untrusted key and broken signatures are refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding

from chalicelib.signing.cosign_simple_signing import verify_simple_signing
from chalicelib.signing.public_keys import key_id, load_public_key
from tests.signing.pki import (
    NOW,
    OTHER,
    SUBJECT,
    b64,
    blobs_for,
    ca,
    leaf,
    pem,
    sign_der,
    simple_signing_manifest,
    simple_signing_payload,
)

KEYS = {
    "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "rsa": lambda: rsa.generate_private_key(65537, 2048),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


def _verify(manifest: bytes, payload: bytes, keys: list[Any], digest: str = SUBJECT) -> Any:
    return verify_simple_signing(manifest, blobs_for(payload), digest, [pem(k) for k in keys])


@pytest.mark.parametrize("kind", KEYS)
def test_each_key_type_verifies_and_names_the_key(kind: str) -> None:
    key = KEYS[kind]()
    payload = simple_signing_payload()
    verdict = _verify(simple_signing_manifest(payload, sign_der(key, payload)), payload, [key])
    assert verdict.verified, verdict.reason
    public = load_public_key(pem(key))
    assert public is not None and verdict.signer == key_id(public)


def test_rsa_pss_verifies() -> None:
    key = rsa.generate_private_key(65537, 2048)
    payload = simple_signing_payload()
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
    signature = key.sign(payload, pss, hashes.SHA256())
    assert _verify(simple_signing_manifest(payload, signature), payload, [key]).verified


def test_one_trusted_key_among_several_is_enough() -> None:
    key, stranger = KEYS["p256"](), KEYS["p256"]()
    payload = simple_signing_payload()
    manifest = simple_signing_manifest(payload, sign_der(key, payload))
    assert _verify(manifest, payload, [stranger, key]).verified


def test_untrusted_key_is_refused() -> None:
    key, stranger = KEYS["p256"](), KEYS["p256"]()
    payload = simple_signing_payload()
    verdict = _verify(simple_signing_manifest(payload, sign_der(key, payload)), payload, [stranger])
    assert not verdict.verified and "any trusted key" in verdict.reason


def test_no_trusted_keys_is_refused() -> None:
    key = KEYS["p256"]()
    payload = simple_signing_payload()
    manifest = simple_signing_manifest(payload, sign_der(key, payload))
    verdict = verify_simple_signing(manifest, blobs_for(payload), SUBJECT, [b"not a key"])
    assert not verdict.verified and "no trusted public keys" in verdict.reason


def test_tampered_payload_is_refused() -> None:
    key = KEYS["p256"]()
    payload = simple_signing_payload()
    signature = sign_der(key, payload)
    tampered = payload.replace(b'"optional":null', b'"optional":{"a":"b"}')
    verdict = _verify(simple_signing_manifest(tampered, signature), tampered, [key])
    assert not verdict.verified and "does not verify" in verdict.reason


def test_blob_not_matching_its_descriptor_is_refused() -> None:
    key = KEYS["p256"]()
    payload = simple_signing_payload()
    manifest = simple_signing_manifest(payload, sign_der(key, payload))
    digest = next(iter(blobs_for(payload)))
    verdict = verify_simple_signing(manifest, {digest: payload + b" "}, SUBJECT, [pem(key)])
    assert not verdict.verified and "does not match its digest" in verdict.reason


def test_signature_for_another_image_is_refused() -> None:
    key = KEYS["p256"]()
    payload = simple_signing_payload(OTHER)
    verdict = _verify(simple_signing_manifest(payload, sign_der(key, payload)), payload, [key])
    assert not verdict.verified and f"not {SUBJECT}" in verdict.reason


def test_wrong_payload_type_is_refused() -> None:
    key = KEYS["p256"]()
    document = json.loads(simple_signing_payload())
    document["critical"]["type"] = "something else"
    payload = json.dumps(document).encode()
    verdict = _verify(simple_signing_manifest(payload, sign_der(key, payload)), payload, [key])
    assert not verdict.verified and "payload type" in verdict.reason


def test_high_s_form_of_a_valid_signature_still_verifies_as_go_signers_emit_it() -> None:
    """Go's crypto/ecdsa (cosign, notation) does not normalise s: (r, n - s) must verify."""
    key = KEYS["p256"]()
    payload = simple_signing_payload()
    r, s = decode_dss_signature(sign_der(key, payload))
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    other = encode_dss_signature(r, order - s)
    assert _verify(simple_signing_manifest(payload, other), payload, [key]).verified


@pytest.mark.parametrize("broken", ["s_is_order", "s_is_zero", "truncated", "garbage", "empty"])
def test_broken_signatures_are_refused(broken: str) -> None:
    key = KEYS["p256"]()
    payload = simple_signing_payload()
    good = sign_der(key, payload)
    r, s = decode_dss_signature(good)
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    signature = {
        "s_is_order": encode_dss_signature(r, order + s),
        "s_is_zero": encode_dss_signature(r, 0),
        "truncated": good[:-3],
        "garbage": b"\x30\x02garbage",
        "empty": b"",
    }[broken]
    verdict = _verify(simple_signing_manifest(payload, signature), payload, [key])
    assert not verdict.verified and verdict.reason


def test_manifest_without_simple_signing_layers_is_refused() -> None:
    verdict = verify_simple_signing(b'{"layers": []}', {}, SUBJECT, [])
    assert not verdict.verified and "no application/vnd.dev.cosign" in verdict.reason


def test_missing_blob_is_refused() -> None:
    key = KEYS["p256"]()
    payload = simple_signing_payload()
    manifest = simple_signing_manifest(payload, sign_der(key, payload))
    verdict = verify_simple_signing(manifest, {}, SUBJECT, [pem(key)])
    assert not verdict.verified and "was not provided" in verdict.reason


def _certificate_manifest(signer: Any, chain: list[Any], payload: bytes) -> bytes:
    """A keyless-style layer: the signer's certificate and chain in the sigstore annotations."""
    manifest = json.loads(simple_signing_manifest(payload, sign_der(signer.key, payload)))
    annotations = manifest["layers"][0]["annotations"]
    annotations["dev.sigstore.cosign/certificate"] = signer.certificate.public_bytes(
        Encoding.PEM
    ).decode()
    annotations["dev.sigstore.cosign/chain"] = "".join(
        c.public_bytes(Encoding.PEM).decode() for c in chain
    )
    return json.dumps(manifest).encode()


def test_certificate_chaining_to_a_trusted_root_verifies_and_names_the_subject() -> None:
    root = ca()
    signer = leaf(root)
    payload = simple_signing_payload()
    manifest = _certificate_manifest(signer, [root.certificate], payload)
    verdict = verify_simple_signing(
        manifest, blobs_for(payload), SUBJECT, [], [root.certificate], NOW
    )
    assert verdict.verified, verdict.reason
    assert verdict.signer == "CN=release signer"


def test_certificate_from_an_untrusted_root_or_expired_is_refused() -> None:
    root = ca()
    payload = simple_signing_payload()
    stranger = _certificate_manifest(leaf(ca("Other")), [], payload)
    verdict = verify_simple_signing(
        stranger, blobs_for(payload), SUBJECT, [], [root.certificate], NOW
    )
    assert not verdict.verified and "trusted root" in verdict.reason
    old = leaf(root, not_before=NOW - dt.timedelta(days=5), not_after=NOW - dt.timedelta(days=1))
    expired = _certificate_manifest(old, [], payload)
    verdict = verify_simple_signing(
        expired, blobs_for(payload), SUBJECT, [], [root.certificate], NOW
    )
    assert not verdict.verified and "trusted root" in verdict.reason


def test_certificate_whose_key_did_not_sign_is_refused() -> None:
    root = ca()
    payload = simple_signing_payload()
    manifest = json.loads(_certificate_manifest(leaf(root), [], payload))
    other = leaf(root)
    manifest["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] = b64(
        sign_der(other.key, payload)
    )
    verdict = verify_simple_signing(
        json.dumps(manifest).encode(), blobs_for(payload), SUBJECT, [], [root.certificate], NOW
    )
    assert not verdict.verified and "certificate's key" in verdict.reason
