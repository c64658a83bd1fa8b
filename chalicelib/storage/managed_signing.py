"""Managed signing on push: a trust rule with `signWith` (an asymmetric KMS key) makes the
registry sign every image manifest pushed to the repositories it covers, as cosign v3 would (a
Sigstore bundle referrer, chalicelib/signing/cosign_formats.py), so stock `cosign verify --key`
accepts it. The signature is stored through the same commit paths as a client's push (blob
bytes: blobs.commit_bytes; the referrer: manifests.put), then verified and recorded like any
pushed signature (signatures.on_push), so the pull policy reads it in the same single read.

Cost: one KMS `Sign` per pushed manifest (GetPublicKey once per instance and key)."""

from __future__ import annotations

import threading

from chalicelib.oci.digest import Digest, parse_digest
from chalicelib.oci.manifest import parse_manifest
from chalicelib.signing.cosign_formats import SignatureArtifact, bundle_signature
from chalicelib.signing.kms_signer import KmsKey
from chalicelib.storage import blobs, manifests, signatures

ACTOR = "system:signer"
_lock = threading.Lock()
_signers: dict[str, KmsKey] = {}


def signer_for(key_id: str) -> KmsKey:
    """One KmsKey per key and instance: its public key is fetched once."""
    with _lock:
        found = _signers.get(key_id)
        if found is None:
            found = _signers[key_id] = KmsKey(key_id)
        return found


def sign(
    repo: str, digest: Digest, media_type: str, size: int, key_id: str, certificates: str = ""
) -> list[str]:
    """Sign manifest `digest` of `repo` with KMS key `key_id` as cosign v3 (and, given the
    key's certificate chain, as Notation JWS too); the signatures' digests."""
    signer = signer_for(key_id)
    made = [bundle_signature(signer, repo, str(digest), media_type, size)]
    if certificates:
        from chalicelib.signing.notation_formats import jws_signature
        from chalicelib.storage.clock import now

        made.append(
            jws_signature(signer, certificates.encode(), str(digest), media_type, size, now())
        )
    return [_store(repo, artifact) for artifact in made]


def _store(repo: str, artifact: SignatureArtifact) -> str:
    for data in artifact.blobs:
        blobs.commit_bytes(repo, parse_digest(_sha256(data)), data)
    parsed = parse_manifest(artifact.manifest, "application/vnd.oci.image.manifest.v1+json")
    digest = parse_digest(artifact.digest)
    manifests.put(repo, digest, parsed, artifact.manifest, [], ACTOR)
    signatures.on_push(repo, digest, parsed, artifact.manifest, [])
    return artifact.digest


def _sha256(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()
