"""cosign v3's signature: a Sigstore bundle v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`)
whose DSSE envelope signs, over PAE(payloadType, payload), an in-toto statement naming the image
digest as a subject. The verification material is a public-key hint (unauthenticated: every
trusted key is tried) or one x509 certificate, whose key must verify the signature and which
must chain to a trusted root. Transparency-log entries are reported present, not verified."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.signing.certificate_chain import chain_error, load_der_certificate, subject_of
from chalicelib.signing.dsse import pae
from chalicelib.signing.encoding import b64decode, json_object
from chalicelib.signing.public_keys import key_id, load_public_key, signature_verifies
from chalicelib.signing.verdict import Verdict, failed, verified

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

FORMAT = "sigstore-bundle-v0.3"
MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")


def verify_sigstore_bundle(
    bundle: bytes,
    subject_digest: str,
    trusted_keys: Sequence[bytes],
    trusted_roots: Sequence[Certificate],
    at: dt.datetime,
) -> Verdict:
    """Verified when the bundle's DSSE statement names `subject_digest` and is signed by a
    trusted key, or by a certificate chaining to a trusted root valid at `at`."""
    document = json_object(bundle)
    if document is None:
        return failed(FORMAT, "bundle is not a JSON object")
    if document.get("mediaType") != MEDIA_TYPE:
        return failed(FORMAT, f"bundle media type is {document.get('mediaType')!r}")
    envelope = document.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        return failed(FORMAT, "bundle has no DSSE envelope (message signatures are not supported)")
    payload = b64decode(envelope.get("payload"))
    payload_type = envelope.get("payloadType")
    signatures = envelope.get("signatures")
    if payload is None or not isinstance(payload_type, str) or not isinstance(signatures, list):
        return failed(FORMAT, "DSSE envelope lacks payload, payloadType or signatures")
    reason = _statement_error(payload_type, payload, subject_digest)
    if reason:
        return failed(FORMAT, reason)
    decoded = [b64decode(s.get("sig")) for s in signatures if isinstance(s, dict)]
    sigs = [s for s in decoded if s]
    if not sigs:
        return failed(FORMAT, "DSSE envelope has no signature")
    material = document.get("verificationMaterial")
    if not isinstance(material, dict):
        return failed(FORMAT, "bundle has no verification material")
    logged = bool(material.get("tlogEntries"))
    message = pae(payload_type, payload)
    if isinstance(material.get("publicKey"), dict):
        for key in (k for k in map(load_public_key, trusted_keys) if k is not None):
            if any(signature_verifies(key, sig, message) for sig in sigs):
                return verified(FORMAT, key_id(key), transparency_log_entry=logged)
        return failed(FORMAT, "signature does not verify with any trusted key")
    certificate = material.get("certificate")
    raw = b64decode(certificate.get("rawBytes")) if isinstance(certificate, dict) else None
    leaf = load_der_certificate(raw) if raw else None
    if leaf is None:
        return failed(FORMAT, "verification material is neither a public key nor a certificate")
    return _verify_with_certificate(leaf, sigs, message, trusted_roots, at, logged)


def _verify_with_certificate(
    leaf: Certificate,
    sigs: Sequence[bytes],
    message: bytes,
    trusted_roots: Sequence[Certificate],
    at: dt.datetime,
    logged: bool,
) -> Verdict:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    key: Any = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        return failed(FORMAT, "certificate key type is not supported")
    if not any(signature_verifies(key, sig, message) for sig in sigs):
        return failed(FORMAT, "signature does not verify with the certificate's key")
    reason = chain_error(leaf, [], trusted_roots, at)
    if reason:
        return failed(FORMAT, reason)
    return verified(FORMAT, subject_of(leaf), transparency_log_entry=logged)


def _statement_error(payload_type: str, payload: bytes, subject_digest: str) -> str:
    if payload_type != IN_TOTO:
        return f"DSSE payload type is {payload_type!r}, not {IN_TOTO}"
    statement = json_object(payload)
    if statement is None or statement.get("_type") not in STATEMENT_TYPES:
        return "DSSE payload is not an in-toto statement"
    algorithm, _, hex_digest = subject_digest.partition(":")
    subjects = statement.get("subject")
    for subject in subjects if isinstance(subjects, list) else []:
        digests = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digests, dict) and digests.get(algorithm) == hex_digest:
            return ""
    return f"in-toto statement does not name {subject_digest} as a subject"
