"""Attach a scan's CycloneDX documents to the scanned image as referrers, so `oras discover`
and every OCI tool find them where they look, in the image's own repository."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.log import logger
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.manifest import parse_manifest
from chalicelib.scanning.cyclonedx import MEDIA_TYPE
from chalicelib.scanning.referrer_manifest import (
    EMPTY_CONFIG,
    OCI_MANIFEST,
    artifact_manifest,
    sha256,
)
from chalicelib.storage import blobs, manifests

ACTOR = "system:scanner"


def attach(
    repo: str, subject: manifests.StoredManifest, document: dict[str, Any], kind: str, when: str
) -> str:
    """Store the document and its manifest; returns the manifest's digest."""
    data = json.dumps(document, separators=(",", ":")).encode()
    blobs.commit_bytes(repo, parse_digest(sha256(data)), data)
    blobs.commit_bytes(repo, parse_digest(sha256(EMPTY_CONFIG)), EMPTY_CONFIG)
    descriptor = {
        "mediaType": subject.media_type,
        "digest": subject.digest,
        "size": len(subject.body),
    }
    body = artifact_manifest(data, MEDIA_TYPE, f"{kind}.cdx.json", kind, descriptor, when)
    digest = parse_digest(sha256(body))
    manifests.put(repo, digest, parse_manifest(body, OCI_MANIFEST), body, [], actor=ACTOR)
    return str(digest)


def attach_all(
    repo: str, subject: manifests.StoredManifest, documents: dict[str, dict[str, Any]], when: str
) -> list[str]:
    """Each document as its own referrer; a failure is logged, the scan's result stands."""
    attached = []
    for kind, document in documents.items():
        try:
            attached.append(attach(repo, subject, document, kind, when))
        except Exception as error:
            logger.warning(
                "scan document not attached",
                extra={"fields": {"digest": subject.digest, "kind": kind, "error": str(error)}},
            )
    return attached
