"""Storage accounting: what each repository holds.

From counters, by default: the repository item carries them (storage/repositories.py:
`count_actions`), so a listing page of `_berth/repositories` is the one query of the
`REPOS` partition it already was, whatever the repositories hold.

What "size" means: the bytes of the repository's distinct blob links plus its manifests.
A blob counts once per repository that links it, from its first link there until it is
unlinked (blob DELETE, or lifecycle: storage/unlinking.py); pushing a layer twice, or into
several images of one repository, counts it once. Shared across repositories it counts in
each: it is what each would hold alone, not a share of the bucket. A link stays when the
manifests using it go by DELETE until it is unlinked, so size is "readable here", not
"referenced here"; a lifecycle run that expires manifests unlinks what no remaining
manifest references.

`recount` computes the same numbers from the items themselves (a few queries per
repository: every link and manifest item is read, and DynamoDB charges the whole item,
inline manifest bodies included); `berth repo ls --exact` uses it. Repositories created
before the counters existed have none until recounted that way (`exact` answers then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.storage import keys
from chalicelib.storage.keys import REPOS_PARTITION, repo_pk
from chalicelib.storage.models import BlobLinkItem, ManifestItem, RepositoryItem, TagItem


@dataclass(frozen=True, slots=True)
class Usage:
    name: str
    blob_bytes: int
    blobs: int
    manifest_bytes: int
    manifests: int
    tags: int
    created_at: datetime | None
    last_push_at: datetime | None
    exact: bool  # recounted from the items, not read from the counters
    last_push_by: str | None = None  # who pushed the last manifest, when recorded

    @property
    def size(self) -> int:
        return self.blob_bytes + self.manifest_bytes

    def counts(self) -> tuple[int, int, int, int, int]:
        return (self.blob_bytes, self.blobs, self.manifest_bytes, self.manifests, self.tags)

    def document(self) -> dict[str, object]:
        return {
            "name": self.name,
            "size": self.size,
            "blobBytes": self.blob_bytes,
            "blobs": self.blobs,
            "manifestBytes": self.manifest_bytes,
            "manifests": self.manifests,
            "tags": self.tags,
            "created": self.created_at.isoformat() if self.created_at else None,
            "lastPush": self.last_push_at.isoformat() if self.last_push_at else None,
            "exact": self.exact,
        }


def _counted(repo: RepositoryItem) -> bool:
    return repo.last_push_at is None or repo.blob_count is not None


def usage(repo: RepositoryItem) -> Usage:
    """From the counters on the item (no AWS call); a recount if it has none."""
    if not _counted(repo):
        return recount(repo)
    return Usage(
        name=repo.sk,
        blob_bytes=int(repo.blob_bytes or 0),
        blobs=int(repo.blob_count or 0),
        manifest_bytes=int(repo.manifest_bytes or 0),
        manifests=int(repo.manifest_count or 0),
        tags=int(repo.tag_count or 0),
        created_at=repo.created_at,
        last_push_at=repo.last_push_at,
        last_push_by=repo.last_push_by,
        exact=False,
    )


def recount(repo: RepositoryItem) -> Usage:
    """The same numbers from the repository's items (consistent queries)."""
    pk = repo_pk(repo.sk)
    blob_bytes = blobs = 0
    for link in BlobLinkItem.query(
        pk,
        BlobLinkItem.sk.startswith(keys.LINK_PREFIX),
        consistent_read=True,
        attributes_to_get=["pk", "sk", "size"],
    ):
        blob_bytes += int(link.size)
        blobs += 1
    manifest_bytes = manifests = 0
    for item in ManifestItem.query(
        pk,
        ManifestItem.sk.startswith(keys.MANIFEST_PREFIX),
        consistent_read=True,
        attributes_to_get=["pk", "sk", "size"],
    ):
        manifest_bytes += int(item.size)
        manifests += 1
    tags = TagItem.count(pk, TagItem.sk.startswith(keys.TAG_PREFIX), consistent_read=True)
    return Usage(
        name=repo.sk,
        blob_bytes=blob_bytes,
        blobs=blobs,
        manifest_bytes=manifest_bytes,
        manifests=manifests,
        tags=tags,
        created_at=repo.created_at,
        last_push_at=repo.last_push_at,
        last_push_by=repo.last_push_by,
        exact=True,
    )


def list_usage(
    after: str | None,
    limit: int,
    *,
    exact: bool = False,
    visible: Callable[[str], bool] | None = None,
) -> tuple[list[Usage], bool]:
    """Up to `limit` repositories after `after` that `visible` lets through, with their usage
    (one query a page; `exact`: a recount each, of the visible ones only), and whether more
    follow. Filtering here, not in the caller, keeps a page's last name (the `Link`) one the
    caller may see: a name it may not see never leaves this function."""
    measure = recount if exact else usage
    out: list[Usage] = []
    start = after
    while True:
        condition = RepositoryItem.sk > start if start else None
        items = list(RepositoryItem.query(REPOS_PARTITION, condition, limit=limit + 1))
        page, more = items[:limit], len(items) > limit
        for i, item in enumerate(page):
            if visible is None or visible(item.sk):
                out.append(measure(item))
                if len(out) == limit:
                    return out, more or i < len(page) - 1
        if not more or not page:
            return out, False
        start = page[-1].sk
