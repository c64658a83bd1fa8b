"""cosign's legacy signature (tag `sha256-<hex>.sig`): an image manifest whose layers are
`application/vnd.dev.cosign.simplesigning.v1+json` payloads, each signed by the base64 DER
signature in its `dev.cosignproject.cosign/signature` annotation. The payload names the signed
image in `critical.image.docker-manifest-digest`; the signature is over the payload bytes. A
layer may instead carry a PEM certificate (and chain) in annotations: its key must verify the
signature and it must chain to a trusted root at the given time (Rekor bundles are not read)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.signing.certificate_chain import chain_error, load_certificates, subject_of
from chalicelib.signing.encoding import b64decode, json_object
from chalicelib.signing.public_keys import key_id, load_public_key, signature_verifies
from chalicelib.signing.verdict import Verdict, failed, verified

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

FORMAT = "cosign-simplesigning"
LAYER_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
# The spec's prose names the dev.cosignproject keys, its examples (and cosign) dev.sigstore ones.
CERTIFICATE_ANNOTATIONS = (
    "dev.sigstore.cosign/certificate",
    "dev.cosignproject.cosign/certificate",
)
CHAIN_ANNOTATIONS = ("dev.sigstore.cosign/chain", "dev.cosignproject.cosign/chain")
PAYLOAD_TYPE = "cosign container image signature"


def verify_simple_signing(
    manifest: bytes,
    blobs: Mapping[str, bytes],
    subject_digest: str,
    trusted_keys: Sequence[bytes],
    trusted_roots: Sequence[Certificate] = (),
    at: dt.datetime | None = None,
) -> Verdict:
    """Verified when one simple-signing layer of `manifest` (its payload in `blobs`, by digest)
    names `subject_digest` and is signed by one of `trusted_keys` (PEM public keys), or by a
    certificate in its annotations chaining to one of `trusted_roots` at `at`."""
    document = json_object(manifest)
    if document is None:
        return failed(FORMAT, "signature manifest is not a JSON object")
    layers = document.get("layers")
    if not isinstance(layers, list):
        return failed(FORMAT, "signature manifest has no layers list")
    keys = [key for key in map(load_public_key, trusted_keys) if key is not None]
    reasons = []
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == LAYER_MEDIA_TYPE:
            verdict = _verify_layer(layer, blobs, subject_digest, keys, trusted_roots, at)
            if verdict.verified:
                return verdict
            reasons.append(verdict.reason)
    if not reasons:
        return failed(FORMAT, f"no {LAYER_MEDIA_TYPE} layer")
    return failed(FORMAT, "; ".join(reasons))


def _verify_layer(
    layer: dict[str, Any],
    blobs: Mapping[str, bytes],
    subject_digest: str,
    keys: Sequence[Any],
    trusted_roots: Sequence[Certificate],
    at: dt.datetime | None,
) -> Verdict:
    digest = layer.get("digest")
    payload = blobs.get(digest) if isinstance(digest, str) else None
    if payload is None or not isinstance(digest, str):
        return failed(FORMAT, f"payload blob {digest!r} was not provided")
    if digest != "sha256:" + hashlib.sha256(payload).hexdigest():
        return failed(FORMAT, f"payload does not match its digest {digest}")
    reason = _payload_error(payload, subject_digest)
    if reason:
        return failed(FORMAT, reason)
    annotations = layer.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    signature = b64decode(annotations.get(SIGNATURE_ANNOTATION))
    if not signature:
        return failed(FORMAT, f"layer has no base64 {SIGNATURE_ANNOTATION} annotation")
    for key in keys:
        if signature_verifies(key, signature, payload):
            return verified(FORMAT, key_id(key))
    certified = _certificate_verdict(annotations, signature, payload, trusted_roots, at)
    if certified is not None:
        return certified
    if not keys:
        return failed(FORMAT, "no trusted public keys are configured")
    return failed(FORMAT, "signature does not verify with any trusted key")


def _certificate_verdict(
    annotations: dict[str, Any],
    signature: bytes,
    payload: bytes,
    trusted_roots: Sequence[Certificate],
    at: dt.datetime | None,
) -> Verdict | None:
    """The verdict of a layer's certificate annotation; None when there is none to try."""
    pem = next((annotations[k] for k in CERTIFICATE_ANNOTATIONS if k in annotations), None)
    chain_pem = next((annotations[k] for k in CHAIN_ANNOTATIONS if k in annotations), "")
    if not isinstance(pem, str) or not isinstance(chain_pem, str) or at is None:
        return None
    if not trusted_roots:
        return None
    certificates = load_certificates(pem.encode("utf-8", "replace"))
    if len(certificates) != 1:
        return failed(FORMAT, "certificate annotation is not one PEM certificate")
    leaf = certificates[0]
    key = load_public_key(_public_pem(leaf))
    if key is None or not signature_verifies(key, signature, payload):
        return failed(FORMAT, "signature does not verify with the certificate's key")
    intermediates = load_certificates(chain_pem.encode("utf-8", "replace"))
    reason = chain_error(leaf, intermediates, trusted_roots, at)
    if reason:
        return failed(FORMAT, reason)
    return verified(FORMAT, subject_of(leaf))


def _public_pem(certificate: Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    try:
        return certificate.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    except ValueError:
        return b""


def _payload_error(payload: bytes, subject_digest: str) -> str:
    document = json_object(payload)
    critical = document.get("critical") if document else None
    if not isinstance(critical, dict):
        return "payload has no critical section"
    if critical.get("type") != PAYLOAD_TYPE:
        return f"payload type is {critical.get('type')!r}, not {PAYLOAD_TYPE!r}"
    image = critical.get("image")
    signed = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    if signed != subject_digest:
        return f"payload signs {signed!r}, not {subject_digest}"
    return ""
