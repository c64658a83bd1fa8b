"""Which pushed manifests are signatures, of what, and how to verify one against a trust rule.

Recognised (specs in ../shared/specs/cosign, sigstore-bundle, notation):
- cosign legacy: a manifest tagged `sha256-<hex>.sig` whose layers are simple-signing payloads
  (subject: the digest the tag spells); also its OCI 1.1 referrer form (artifactType
  `application/vnd.dev.cosign.artifact.sig.v1+json`, subject descriptor);
- cosign v3: a referrer whose artifactType is the Sigstore bundle v0.3 media type;
- Notation: a referrer with artifactType `application/vnd.cncf.notary.signature` and a JWS or
  COSE envelope layer.

A verifier's signer becomes the policy's vocabulary here: a trusted key's id as it is, a
certificate subject as `x509:<subject>` (chalicelib/signing/trust_policy.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.oci.manifest import Descriptor, ParsedManifest
from chalicelib.signing.trust_policy import X509_PREFIX, TrustRule
from chalicelib.signing.verdict import Verdict, failed

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

COSIGN_SIMPLE = "cosign-simplesigning"
SIGSTORE_BUNDLE = "sigstore-bundle-v0.3"
NOTATION = "notation"

SIMPLE_SIGNING_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_REFERRER = "application/vnd.dev.cosign.artifact.sig.v1+json"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
NOTATION_ARTIFACT = "application/vnd.cncf.notary.signature"
JWS = "application/jose+json"
COSE = "application/cose"

SIGNATURE_ARTIFACT_TYPES = (COSIGN_REFERRER, BUNDLE_MEDIA_TYPE, NOTATION_ARTIFACT)
# The format each signature artifactType carries (what `berth verify` names it).
SIGNATURE_FORMATS = {
    COSIGN_REFERRER: COSIGN_SIMPLE,
    BUNDLE_MEDIA_TYPE: SIGSTORE_BUNDLE,
    NOTATION_ARTIFACT: NOTATION,
}
_PAYLOAD_TYPES = {
    COSIGN_SIMPLE: (SIMPLE_SIGNING_LAYER,),
    SIGSTORE_BUNDLE: (BUNDLE_MEDIA_TYPE,),
    NOTATION: (JWS, COSE),
}
_LEGACY_TAG = re.compile(r"^(sha256)-([0-9a-f]{64})\.sig$")
# A signature payload is a few kilobytes; refuse to fetch anything that is not.
MAX_PAYLOAD_BYTES = 1024 * 1024
MAX_PAYLOADS = 8


@dataclass(frozen=True, slots=True)
class SignatureArtifact:
    """A pushed signature: what it signs, in which format, and the blobs its verifier reads."""

    subject: str
    format: str
    payloads: tuple[Descriptor, ...]


def subject_of_legacy_tag(tag: str) -> str | None:
    """`sha256-<hex>.sig` names the signed digest `sha256:<hex>`."""
    match = _LEGACY_TAG.match(tag)
    return f"{match.group(1)}:{match.group(2)}" if match else None


def classify(parsed: ParsedManifest, tags: Sequence[str] = ()) -> SignatureArtifact | None:
    """The signature `parsed` is, or None when it is not one Berth can verify."""
    kind: str | None = None
    subject = parsed.subject.digest if parsed.subject is not None else None
    if parsed.artifact_type == BUNDLE_MEDIA_TYPE:
        kind = SIGSTORE_BUNDLE
    elif parsed.artifact_type == NOTATION_ARTIFACT:
        kind = NOTATION
    elif parsed.artifact_type == COSIGN_REFERRER:
        kind = COSIGN_SIMPLE
    elif subject is None:
        legacy = next((s for s in map(subject_of_legacy_tag, tags) if s is not None), None)
        if legacy is not None and any(d.media_type == SIMPLE_SIGNING_LAYER for d in parsed.blobs):
            kind, subject = COSIGN_SIMPLE, legacy
    if kind is None or subject is None:
        return None
    wanted = _PAYLOAD_TYPES[kind]
    payloads = tuple(
        d for d in parsed.blobs if d.media_type in wanted and 0 < d.size <= MAX_PAYLOAD_BYTES
    )[:MAX_PAYLOADS]
    return SignatureArtifact(subject, kind, payloads)


def is_signature_document(body: bytes) -> bool:
    """Is this stored manifest a signature (exempt from a pull policy: a pipeline reads
    signatures to verify what it deploys)? Reads only the JSON fields that say so."""
    try:
        document = json.loads(body)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    config = document.get("config")
    kinds = {
        document.get("artifactType"),
        config.get("mediaType") if isinstance(config, dict) else None,
    }
    if kinds & set(SIGNATURE_ARTIFACT_TYPES):
        return True
    layers = document.get("layers")
    return isinstance(layers, list) and any(
        isinstance(layer, dict) and layer.get("mediaType") == SIMPLE_SIGNING_LAYER
        for layer in layers
    )


def verify(
    artifact: SignatureArtifact,
    manifest: bytes,
    blobs: Mapping[str, bytes],
    rule: TrustRule,
    at: dt.datetime,
) -> Verdict:
    """The artifact's verdict under `rule`'s keys and roots at time `at`, with the signer in the
    policy's vocabulary (a key id, or `x509:<subject>`)."""
    from chalicelib.signing.certificate_chain import load_certificates

    keys = [k.encode() for k in rule.keys]
    roots = [c for pem in rule.roots for c in load_certificates(pem.encode())]
    verdict = _verify(artifact, manifest, blobs, keys, roots, at)
    if not verdict.verified:
        return verdict
    if verdict.signer in rule.key_ids:
        return verdict
    signed = Verdict(
        True,
        verdict.format,
        "",
        X509_PREFIX + verdict.signer,
        verdict.transparency_log_entry,
    )
    if not rule.trusts(signed.signer):
        return failed(verdict.format, f"certificate subject {verdict.signer} is not trusted")
    return signed


def _verify(
    artifact: SignatureArtifact,
    manifest: bytes,
    blobs: Mapping[str, bytes],
    keys: list[bytes],
    trusted_roots: Sequence[Certificate],
    at: dt.datetime,
) -> Verdict:
    if artifact.format == COSIGN_SIMPLE:
        from chalicelib.signing.cosign_simple_signing import verify_simple_signing

        return verify_simple_signing(manifest, blobs, artifact.subject, keys, trusted_roots, at)
    reasons: list[str] = []
    for payload in artifact.payloads:
        data = blobs.get(payload.digest)
        if data is None:
            reasons.append(f"payload {payload.digest} could not be read")
            continue
        if artifact.format == SIGSTORE_BUNDLE:
            from chalicelib.signing.sigstore_bundle import verify_sigstore_bundle

            verdict = verify_sigstore_bundle(data, artifact.subject, keys, trusted_roots, at)
        elif payload.media_type == JWS:
            from chalicelib.signing.notation_jws import verify_notation_jws

            verdict = verify_notation_jws(data, artifact.subject, trusted_roots, at)
        else:
            from chalicelib.signing.notation_cose import verify_notation_cose

            verdict = verify_notation_cose(data, artifact.subject, trusted_roots, at)
        if verdict.verified:
            return verdict
        reasons.append(verdict.reason)
    return failed(artifact.format, "; ".join(reasons) or "the signature has no payload to verify")
