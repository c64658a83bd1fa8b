"""Storage accounting: what a repository holds, in deduplicated bytes.

Computed on demand, a few queries per repository: every blob link and manifest item of the
partition is read (DynamoDB charges the whole item, inline manifest bodies included, even
though only the key and size are projected) and the tags are counted with Select=COUNT.
Good for an admin listing; counters kept on the repository item would make it one read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.storage.models import (
    REPOS_PARTITION,
    BlobLinkItem,
    ManifestItem,
    RepositoryItem,
    TagItem,
    repo_pk,
)


@dataclass(frozen=True, slots=True)
class Usage:
    name: str
    size: int  # bytes of the distinct blobs and manifests the repository holds
    blobs: int
    manifests: int
    tags: int
    created_at: datetime | None
    last_push_at: datetime | None

    def document(self) -> dict[str, object]:
        return {
            "name": self.name,
            "size": self.size,
            "blobs": self.blobs,
            "manifests": self.manifests,
            "tags": self.tags,
            "created": self.created_at.isoformat() if self.created_at else None,
            "lastPush": self.last_push_at.isoformat() if self.last_push_at else None,
        }


def usage(repo: RepositoryItem) -> Usage:
    pk = repo_pk(repo.sk)
    sizes: dict[str, int] = {}
    blob_count = 0
    for link in BlobLinkItem.query(
        pk, BlobLinkItem.sk.startswith("B#"), attributes_to_get=["sk", "size"]
    ):
        sizes[link.sk[2:]] = int(link.size)
        blob_count += 1
    manifest_count = 0
    for item in ManifestItem.query(
        pk, ManifestItem.sk.startswith("M#"), attributes_to_get=["sk", "size"]
    ):
        sizes[item.sk[2:]] = int(item.size)  # a manifest pushed as a blob too counts once
        manifest_count += 1
    tag_count = TagItem.count(pk, TagItem.sk.startswith("T#"))
    return Usage(
        name=repo.sk,
        size=sum(sizes.values()),
        blobs=blob_count,
        manifests=manifest_count,
        tags=tag_count,
        created_at=repo.created_at,
        last_push_at=repo.last_push_at,
    )


def list_usage(after: str | None, limit: int) -> tuple[list[Usage], bool]:
    """Up to `limit` repositories after `after` with their usage, and whether more follow."""
    condition = RepositoryItem.sk > after if after else None
    items = list(RepositoryItem.query(REPOS_PARTITION, condition, limit=limit + 1))
    return [usage(item) for item in items[:limit]], len(items) > limit
