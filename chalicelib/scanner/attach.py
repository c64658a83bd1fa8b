"""Attach a scan's CycloneDX documents to the scanned image as referrers, so `oras discover`
and every OCI tool find them where they look, in the image's own repository."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.log import logger
from chalicelib.oci.digest import Digest, checked_digest, parse_digest
from chalicelib.oci.manifest import parse_manifest
from chalicelib.scanning.cyclonedx import MEDIA_TYPE
from chalicelib.scanning.referrer_manifest import (
    EMPTY_CONFIG,
    KIND,
    OCI_MANIFEST,
    PRODUCER,
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
    descriptor = {
        "mediaType": subject.media_type,
        "digest": str(subject.digest),
        "size": len(subject.body),
    }
    body = artifact_manifest(data, MEDIA_TYPE, f"{kind}.cdx.json", kind, descriptor, when)
    digest = parse_digest(sha256(body))
    manifests.put(repo, digest, parse_manifest(body, OCI_MANIFEST), body, [], actor=ACTOR)
    _drop_superseded(repo, subject.digest, kind, str(digest))
    return str(digest)


def _link_empty_config(repo: str) -> None:
    """Every scan document's manifest names the same empty config: stored in the repository
    by its first scan, found linked (one read) by the others, which then neither PUT it again
    (a conditional PUT refused is still a billed request) nor write its link."""
    digest = parse_digest(sha256(EMPTY_CONFIG))
    if blobs.get_link(repo, digest) is None:
        blobs.commit_bytes(repo, digest, EMPTY_CONFIG)


def _drop_superseded(repo: str, subject: Digest, kind: str, current: str) -> None:
    """The scanner's earlier document of the same kind for this image is replaced, not kept
    beside the new one: each rescan would otherwise add two referrers to the image."""
    from chalicelib.storage import referrers

    found, _ = referrers.descriptors(repo, subject, None, 100, artifact_type=MEDIA_TYPE)
    for descriptor in found:
        annotations = descriptor.get("annotations") or {}
        if (
            descriptor["digest"] != current
            and annotations.get(PRODUCER) == "berth"
            and annotations.get(KIND) == kind
        ):
            manifests.delete(repo, checked_digest(descriptor["digest"]), actor=ACTOR)


def attach_all(
    repo: str, subject: manifests.StoredManifest, documents: dict[str, dict[str, Any]], when: str
) -> list[str]:
    """Each document as its own referrer; a failure is logged, the scan's result stands."""
    attached = []
    try:
        _link_empty_config(repo)
    except Exception as error:  # the manifests below then fail alike, and are logged
        logger.warning("scan config not stored", extra={"fields": {"error": str(error)}})
    for kind, document in documents.items():
        try:
            attached.append(attach(repo, subject, document, kind, when))
        except Exception as error:
            logger.warning(
                "scan document not attached",
                extra={
                    "fields": {"digest": str(subject.digest), "kind": kind, "error": str(error)}
                },
            )
    return attached
