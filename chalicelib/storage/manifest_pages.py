"""A repository's manifests a page at a time, by kind only: for walks over every stored
image (the rescan) that must not read bodies nor hold a pynamodb item."""

from __future__ import annotations

from typing import Any

from chalicelib.oci.digest import checked_digest
from chalicelib.storage.keys import MANIFEST_PREFIX, manifest_digest, repo_pk
from chalicelib.storage.models import ManifestItem
from chalicelib.storage.records import ManifestSummary


def page(repository: str, after: Any, limit: int) -> tuple[list[ManifestSummary], Any]:
    """Up to `limit` manifests after the cursor `after` (None: from the first), and the
    cursor of the next page (None: this was the last). One Query."""
    found = ManifestItem.query(
        repo_pk(repository),
        ManifestItem.sk.startswith(MANIFEST_PREFIX),
        limit=limit,
        last_evaluated_key=after,
        attributes_to_get=["pk", "sk", "media_type", "artifact_type", "subject"],
    )
    summaries = [
        ManifestSummary(
            checked_digest(manifest_digest(item.sk)),
            item.media_type,
            item.artifact_type,
            item.subject,
        )
        for item in found
    ]
    return summaries, found.last_evaluated_key
