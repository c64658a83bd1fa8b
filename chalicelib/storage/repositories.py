"""Repositories: created by their first push, listed in lexical order for `_catalog`."""

from __future__ import annotations

from typing import Any

from chalicelib.storage.clock import now
from chalicelib.storage.keys import REPOS_PARTITION
from chalicelib.storage.models import RepositoryItem


def count_actions(
    *,
    blobs: int = 0,
    blob_bytes: int = 0,
    manifests: int = 0,
    manifest_bytes: int = 0,
    tags: int = 0,
) -> list[Any]:
    """ADD actions moving the repository's storage counters (the nonzero ones).

    The counters change in the same transaction as what they count, each only when the
    transaction's conditions prove the change happened: a link counts when it did not exist
    (condition on the link), a manifest when its item did not, a tag when it was created or
    deleted; so they match a recount (`accounting.recount`) whatever runs concurrently."""
    pairs = [
        (RepositoryItem.blob_count, blobs),
        (RepositoryItem.blob_bytes, blob_bytes),
        (RepositoryItem.manifest_count, manifests),
        (RepositoryItem.manifest_bytes, manifest_bytes),
        (RepositoryItem.tag_count, tags),
    ]
    return [attribute.add(value) for attribute, value in pairs if value]


def touch_actions(by: str | None = None, /, **counts: int) -> list[Any]:
    """Update actions recording a push (and its `count_actions`): creates the repository on
    its first one. `by`: who pushed (a manifest push knows; a blob upload leaves it)."""
    moment = now()
    return [
        RepositoryItem.created_at.set(RepositoryItem.created_at | moment),
        RepositoryItem.last_push_at.set(moment),
        *([RepositoryItem.last_push_by.set(by)] if by else []),
        *count_actions(**counts),
    ]


def key(name: str) -> RepositoryItem:
    return RepositoryItem(REPOS_PARTITION, name)


def exists(name: str) -> bool:
    try:
        RepositoryItem.get(REPOS_PARTITION, name, consistent_read=True)
    except RepositoryItem.DoesNotExist:
        return False
    return True


def list_names(after: str | None, limit: int) -> tuple[list[str], bool]:
    """Up to `limit` names after `after`, and whether more follow."""
    condition = RepositoryItem.sk > after if after else None
    names = [
        item.sk
        for item in RepositoryItem.query(
            REPOS_PARTITION, condition, limit=limit + 1, attributes_to_get=["pk", "sk"]
        )
    ]
    return names[:limit], len(names) > limit
