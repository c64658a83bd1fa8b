"""Notation's JWS signature, built (signature-envelope-jws.md, signature-specification.md): a
flattened JWS JSON envelope over `{"targetArtifact": <the image's descriptor>}`, signed with an
ECDSA key (ES256 for P-256, ES384 for P-384; JOSE's fixed-width r||s, not DER) whose x509 chain
goes in the unprotected `x5c`, stored as one `application/jose+json` layer of a referrer whose
config media type is `application/vnd.cncf.notary.signature`, with the chain's SHA-256
thumbprints in the `io.cncf.notary.x509chain.thumbprint#S256` annotation. Used by
`berth sign --format notation`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

from chalicelib.signing.cosign_formats import (
    OCI_MANIFEST,
    SignatureArtifact,
    Signer,
    descriptor,
    digest_of,
)

ARTIFACT = "application/vnd.cncf.notary.signature"
JWS = "application/jose+json"
PAYLOAD_TYPE = "application/vnd.cncf.notary.payload.v1+json"
THUMBPRINTS = "io.cncf.notary.x509chain.thumbprint#S256"


class NotationError(ValueError):
    """The key or chain cannot make a Notation signature; the message says why."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws_signature(
    signer: Signer,
    chain_pem: bytes,
    digest: str,
    media_type: str,
    size: int,
    at: dt.datetime,
) -> SignatureArtifact:
    """The envelope and referrer manifest signing `digest`; `chain_pem`: the signing
    certificate first, then its intermediates and root."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as error:
        raise NotationError(f"the certificate chain is not PEM certificates: {error}") from None
    leaf_key = chain[0].public_key()
    signer_key = serialization.load_pem_public_key(signer.public_pem())
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey) or leaf_key.curve.key_size not in (
        256,
        384,
    ):
        raise NotationError("Notation signing here needs an ECDSA P-256 or P-384 key")
    if leaf_key.public_numbers() != getattr(signer_key, "public_numbers", lambda: None)():
        raise NotationError("the first certificate of the chain is not the signing key's")
    size_bytes = leaf_key.curve.key_size // 8
    protected = {
        "alg": f"ES{leaf_key.curve.key_size}",
        "cty": PAYLOAD_TYPE,
        "crit": ["io.cncf.notary.signingScheme"],
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    payload = {"targetArtifact": {"mediaType": media_type, "digest": digest, "size": size}}
    protected_text = _b64url(json.dumps(protected, separators=(",", ":")).encode())
    payload_text = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    der = signer.sign(f"{protected_text}.{payload_text}".encode())
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(size_bytes, "big") + s.to_bytes(size_bytes, "big")
    ders = [c.public_bytes(serialization.Encoding.DER) for c in chain]
    envelope = json.dumps(
        {
            "payload": payload_text,
            "protected": protected_text,
            "header": {"x5c": [base64.b64encode(d).decode() for d in ders]},
            "signature": _b64url(raw),
        },
        separators=(",", ":"),
    ).encode()
    thumbprints = [hashlib.sha256(d).hexdigest() for d in ders]
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(ARTIFACT, b"{}"),
        "layers": [descriptor(JWS, envelope)],
        "subject": {"mediaType": media_type, "digest": digest, "size": size},
        "annotations": {THUMBPRINTS: json.dumps(thumbprints)},
    }
    body = json.dumps(manifest, separators=(",", ":")).encode()
    return SignatureArtifact((b"{}", envelope), body, digest_of(body))
