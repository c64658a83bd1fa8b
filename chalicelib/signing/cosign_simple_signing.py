"""cosign's legacy signature (tag `sha256-<hex>.sig`): an image manifest whose layers are
`application/vnd.dev.cosign.simplesigning.v1+json` payloads, each signed by the base64 DER
signature in its `dev.cosignproject.cosign/signature` annotation. The payload names the signed
image in `critical.image.docker-manifest-digest`; the signature is over the payload bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.signing.encoding import b64decode, json_object
from chalicelib.signing.public_keys import key_id, load_public_key, signature_verifies
from chalicelib.signing.verdict import Verdict, failed, verified

FORMAT = "cosign-simplesigning"
LAYER_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
PAYLOAD_TYPE = "cosign container image signature"


def verify_simple_signing(
    manifest: bytes,
    blobs: Mapping[str, bytes],
    subject_digest: str,
    trusted_keys: Sequence[bytes],
) -> Verdict:
    """Verified when one simple-signing layer of `manifest` (its payload in `blobs`, by digest)
    names `subject_digest` and is signed by one of `trusted_keys` (PEM public keys)."""
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
            verdict = _verify_layer(layer, blobs, subject_digest, keys)
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
    encoded = annotations.get(SIGNATURE_ANNOTATION) if isinstance(annotations, dict) else None
    signature = b64decode(encoded)
    if not signature:
        return failed(FORMAT, f"layer has no base64 {SIGNATURE_ANNOTATION} annotation")
    if not keys:
        return failed(FORMAT, "no trusted public keys are configured")
    for key in keys:
        if signature_verifies(key, signature, payload):
            return verified(FORMAT, key_id(key))
    return failed(FORMAT, "signature does not verify with any trusted key")


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
