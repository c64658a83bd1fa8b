"""Keys, certificates and signed artifacts built with `cryptography` exactly as each format's
spec describes, so the verifiers are checked against independently produced signatures."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
SUBJECT = "sha256:" + hashlib.sha256(b"the signed image manifest").hexdigest()
OTHER = "sha256:" + hashlib.sha256(b"another manifest").hexdigest()


def pem(key: Any) -> bytes:
    return bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))


def sign_der(key: Any, message: bytes) -> bytes:
    """What cosign does with a key: ECDSA DER (hash by curve), RSA PKCS#1 v1.5, Ed25519."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        digest = {256: hashes.SHA256(), 384: hashes.SHA384()}[key.curve.key_size]
        return bytes(key.sign(message, ec.ECDSA(digest)))
    if isinstance(key, rsa.RSAPrivateKey):
        return bytes(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return bytes(key.sign(message))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Issued:
    key: Any
    certificate: x509.Certificate


def ca(common_name: str = "Berth Test Root") -> Issued:
    key = ec.generate_private_key(ec.SECP384R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA384())
    )
    return Issued(key, certificate)


def leaf(
    issuer: Issued,
    key: Any = None,
    *,
    eku: list[x509.ObjectIdentifier] | None = None,
    not_before: dt.datetime = NOW - dt.timedelta(days=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=30),
) -> Issued:
    """A code-signing leaf (unless `eku` says otherwise; `[]` means no EKU extension)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name("release signer"))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    )
    usages = [ExtendedKeyUsageOID.CODE_SIGNING] if eku is None else eku
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return Issued(key, builder.sign(issuer.key, hashes.SHA384()))


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)


def simple_signing_payload(digest: str = SUBJECT) -> bytes:
    """cosign's payload, its fields in cosign's order."""
    document = {
        "critical": {
            "identity": {"docker-reference": "registry.example/app"},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def simple_signing_manifest(payload: bytes, signature: bytes) -> bytes:
    layer = {
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "size": len(payload),
        "digest": "sha256:" + hashlib.sha256(payload).hexdigest(),
        "annotations": {"dev.cosignproject.cosign/signature": b64(signature)},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": 2,
            "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(),
        },
        "layers": [layer],
    }
    return json.dumps(manifest).encode()


def blobs_for(payload: bytes) -> dict[str, bytes]:
    return {"sha256:" + hashlib.sha256(payload).hexdigest(): payload}


def statement(digest: str = SUBJECT) -> bytes:
    hex_digest = digest.partition(":")[2]
    document = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/app", "digest": {"sha256": hex_digest}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {},
    }
    return json.dumps(document).encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE PAE written out independently of chalicelib.signing.dsse, from envelope.proto."""
    kind = payload_type.encode()
    lengths = (str(len(kind)).encode(), str(len(payload)).encode())
    return b"DSSEv1 " + lengths[0] + b" " + kind + b" " + lengths[1] + b" " + payload


def bundle(
    signature: bytes, payload: bytes, material: dict[str, Any], *, tlog: bool = False
) -> bytes:
    document: dict[str, Any] = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            **material,
            **({"tlogEntries": [{"logIndex": "1"}]} if tlog else {}),
        },
        "dsseEnvelope": {
            "payload": b64(payload),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": b64(signature), "keyid": ""}],
        },
    }
    return json.dumps(document).encode()


def notation_payload(digest: str = SUBJECT) -> bytes:
    target = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest,
        "size": 16724,
    }
    return json.dumps({"targetArtifact": target}).encode()


def notation_protected(alg: str = "ES256", **extra: Any) -> dict[str, Any]:
    header: dict[str, Any] = {
        "alg": alg,
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "crit": ["io.cncf.notary.signingScheme"],
    }
    header.update(extra)
    return header


def jws_sign(key: Any, alg: str, signing_input: bytes) -> bytes:
    """JOSE encodings: ECDSA as fixed-width r||s, RSA as PSS with salt = hash length."""
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[2:]]
    if alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest)))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    salt = padding.PSS.DIGEST_LENGTH
    return bytes(key.sign(signing_input, padding.PSS(padding.MGF1(digest), salt), digest))


def notation_envelope(
    signer: Issued,
    chain: list[x509.Certificate],
    *,
    alg: str = "ES256",
    protected: dict[str, Any] | None = None,
    payload: bytes | None = None,
) -> bytes:
    header = protected if protected is not None else notation_protected(alg)
    protected_text = b64url(json.dumps(header).encode())
    payload_text = b64url(payload if payload is not None else notation_payload())
    signature = jws_sign(signer.key, alg, f"{protected_text}.{payload_text}".encode())
    envelope = {
        "payload": payload_text,
        "protected": protected_text,
        "header": {"x5c": [b64(der(c)) for c in [signer.certificate, *chain]]},
        "signature": b64url(signature),
    }
    return json.dumps(envelope).encode()
