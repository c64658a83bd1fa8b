"""The two layouts cosign writes, built from a signer and the digest being signed.

- v3 (cosign's default since 2025, BUNDLE_SPEC.md): a Sigstore bundle v0.3, a DSSE envelope
  over an in-toto statement naming the image, stored as a blob and attached by a referrer
  manifest (artifactType = the bundle media type, empty config, subject = the image).
- legacy (SIGNATURE_SPEC.md): a simple-signing payload as a layer, its signature in the
  layer's `dev.cosignproject.cosign/signature` annotation, tagged `sha256-<hex>.sig`.

Pure but for the signer: `berth sign` and the registry's managed signing both build here."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Protocol


class Signer(Protocol):
    """Anything that signs bytes as cosign expects and names its public key: a local key or a
    KMS key (berth/signing/keys.py for the CLI, chalicelib/signing/kms_signer.py in Lambda)."""

    def sign(self, message: bytes) -> bytes: ...

    def public_pem(self) -> bytes: ...


def hint_of(public_pem: bytes) -> str:
    """cosign's public-key hint: base64 of the SHA-256 of the DER public key."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_pem)
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
COSIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
EMPTY_JSON = b"{}"


@dataclass(frozen=True)
class SignatureArtifact:
    """What to push: blobs (config first), the manifest, and the reference to PUT it at."""

    blobs: tuple[bytes, ...]
    manifest: bytes
    reference: str

    @property
    def digest(self) -> str:
        return digest_of(self.manifest)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def descriptor(media_type: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(name: str, digest: str) -> bytes:
    algorithm, _, hex_digest = digest.partition(":")
    document = {
        "_type": STATEMENT_V1,
        "subject": [{"name": name, "digest": {algorithm: hex_digest}}],
        "predicateType": COSIGN_PREDICATE,
        "predicate": {},
    }
    return json.dumps(document, separators=(",", ":")).encode()


def bundle_signature(
    signer: Signer, name: str, digest: str, media_type: str, size: int
) -> SignatureArtifact:
    """cosign v3: the bundle blob and the referrer manifest attaching it to `digest`."""
    payload = statement(name, digest)
    signature = signer.sign(pae(IN_TOTO, payload))
    bundle = json.dumps(
        {
            "mediaType": BUNDLE,
            "verificationMaterial": {"publicKey": {"hint": hint_of(signer.public_pem())}},
            "dsseEnvelope": {
                "payload": _b64(payload),
                "payloadType": IN_TOTO,
                "signatures": [{"sig": _b64(signature)}],
            },
        },
        separators=(",", ":"),
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE,
        "config": descriptor(OCI_EMPTY, EMPTY_JSON),
        "layers": [descriptor(BUNDLE, bundle)],
        "subject": {"mediaType": media_type, "digest": digest, "size": size},
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": COSIGN_PREDICATE,
        },
    }
    body = json.dumps(manifest, separators=(",", ":")).encode()
    return SignatureArtifact((EMPTY_JSON, bundle), body, digest_of(body))


def legacy_signature(signer: Signer, name: str, digest: str) -> SignatureArtifact:
    """cosign legacy: the simple-signing payload, signed, under the `sha256-<hex>.sig` tag."""
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": name},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        },
        separators=(",", ":"),
    ).encode()
    layer = {
        **descriptor(SIMPLE_SIGNING, payload),
        "annotations": {"dev.cosignproject.cosign/signature": _b64(signer.sign(payload))},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, EMPTY_JSON),
        "layers": [layer],
    }
    body = json.dumps(manifest, separators=(",", ":")).encode()
    algorithm, _, hex_digest = digest.partition(":")
    return SignatureArtifact((EMPTY_JSON, payload), body, f"{algorithm}-{hex_digest}.sig")
