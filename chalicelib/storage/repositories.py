"""Repositories: created by their first push, listed in lexical order for `_catalog`."""

from __future__ import annotations

from typing import Any

from chalicelib.storage.clock import now
from chalicelib.storage.models import REPOS_PARTITION, RepositoryItem


def touch_actions() -> list[Any]:
    """Update actions recording a push: creates the repository on its first one."""
    moment = now()
    return [
        RepositoryItem.created_at.set(RepositoryItem.created_at | moment),
        RepositoryItem.last_push_at.set(moment),
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
