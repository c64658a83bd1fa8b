"""The referrers of a subject: descriptors of manifests whose `subject` names it."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.storage.keys import referrer_parts, referrers_of, repo_pk
from chalicelib.storage.manifests import annotations_of
from chalicelib.storage.models import ReferrerItem

# A Lambda response carries at most 6 MB; descriptors carry annotations of any size, so a
# page ends when its JSON would pass this many bytes (always holding at least one entry).
PAGE_BYTES = 4 * 1000 * 1000


def descriptors(
    repo: str, subject: Digest, after: str | None, limit: int, artifact_type: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` descriptors after referrer digest `after` (of `artifact_type` only, when
    given); and the cursor for more."""
    prefix = referrers_of(str(subject))
    condition = ReferrerItem.sk > prefix + after if after else ReferrerItem.sk.startswith(prefix)
    found: list[dict[str, Any]] = []
    budget = PAGE_BYTES
    matching = ReferrerItem.artifact_type == artifact_type if artifact_type else None
    for item in ReferrerItem.query(
        repo_pk(repo),
        condition,
        filter_condition=matching,
        limit=limit + 1,
        consistent_read=True,
    ):
        if not item.sk.startswith(prefix):
            break
        descriptor: dict[str, Any] = {
            "mediaType": item.media_type,
            "digest": referrer_parts(item.sk)[1],
            "size": int(item.size),
        }
        if item.artifact_type:
            descriptor["artifactType"] = item.artifact_type
        if item.annotations:
            descriptor["annotations"] = item.annotations
        elif item.annotations_in_manifest:
            descriptor["annotations"] = annotations_of(repo, checked_digest(descriptor["digest"]))
        budget -= len(json.dumps(descriptor)) + 1
        if found and budget < 0:
            return found, found[-1]["digest"]
        found.append(descriptor)
    if len(found) > limit:
        return found[:limit], found[limit - 1]["digest"]
    return found, None
