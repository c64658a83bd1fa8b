"""The due index: which repositories the daily run must plan (the design: __init__.py).

Entries live in LIFECYCLE_DUE_SHARDS partitions `LCDUE#<n>`, one per repository, sk its
name: `due` (epoch seconds; 0 when a change marked it, chalicelib/storage/lifecycle_due.py)
and `bumps` (how many changes marked it). A run reads the entries first, then each
repository; its reset sets the next due time only if `bumps` is still what it read, so a
change during planning leaves the entry due. The marker `LCDUE/index` says every repository
with a policy has an entry (the first complete run after an upgrade wrote them)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.storage import keys, lifecycle_due
from chalicelib.storage.models import LifecycleDueItem, LifecycleIndexItem
from chalicelib.storage.transactions import condition_failed

INDEX_SK = "index"
VERSION = 1


def complete() -> bool:
    """Whether the marker says every repository with a policy has its entry."""
    try:
        item = LifecycleIndexItem.get(keys.LIFECYCLE_INDEX_PK, INDEX_SK, consistent_read=True)
    except LifecycleIndexItem.DoesNotExist:
        return False
    return int(item.version) >= VERSION


def mark_complete() -> None:
    LifecycleIndexItem(keys.LIFECYCLE_INDEX_PK, INDEX_SK, version=VERSION).save()


def epoch(moment: datetime) -> int:
    """A due time in whole seconds, rounded up: never before the moment it stands for."""
    return math.ceil(moment.timestamp())


def entries(moment: datetime | None) -> dict[str, int | None]:
    """Repository -> the `bumps` read, of the entries due at `moment` (None: all of them);
    one consistent Query per shard (more only past 1 MB of entries, ~15k repositories)."""
    found: dict[str, int | None] = {}
    condition: Any = None if moment is None else LifecycleDueItem.due <= epoch(moment)
    for shard in range(keys.LIFECYCLE_DUE_SHARDS):
        pk = f"{keys.LIFECYCLE_DUE_PREFIX}{shard}"
        for item in LifecycleDueItem.query(pk, filter_condition=condition, consistent_read=True):
            found[item.sk] = None if item.bumps is None else int(item.bumps)
    return found


def _unbumped(seen: int | None) -> Any:
    if seen is None:
        return LifecycleDueItem.bumps.does_not_exist()
    return LifecycleDueItem.bumps == seen


def reset(repo: str, seen: int | None, due: datetime | None) -> bool:
    """After a plan: due next at `due` (None: only a change makes it due), unless a change
    came since the entry was read (False: it stays due)."""
    actions: list[Any] = [
        LifecycleDueItem.due.set(epoch(due)) if due is not None else LifecycleDueItem.due.remove()
    ]
    if seen is None:
        actions.append(LifecycleDueItem.bumps.set(0))
    try:
        lifecycle_due.entry(repo).update(actions=actions, condition=_unbumped(seen))
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def drop(repo: str, seen: int | None) -> bool:
    """The entry of a repository with no policy (or none any more) goes, unless changed."""
    try:
        lifecycle_due.entry(repo).delete(condition=_unbumped(seen))
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True
