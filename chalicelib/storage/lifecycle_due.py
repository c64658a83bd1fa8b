"""Marking a repository's lifecycle entry due, inside the transaction that changes it.

A manifest pushed or deleted, a tag moved or deleted, a policy put: each may change what
lifecycle would expire, so the changing transaction also sets the repository's due entry to
0 and counts the change (chalicelib/lifecycle/index.py reads and resets it). One more item
in a transaction the change makes anyway: no extra round trip, and no change without it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.expressions.update import Action

from chalicelib.storage import keys
from chalicelib.storage.models import LifecycleDueItem

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite


# Due now, one more change.
_CHANGED: list[Action] = [LifecycleDueItem.due.set(0), LifecycleDueItem.bumps.add(1)]


def entry(repo: str) -> LifecycleDueItem:
    return LifecycleDueItem(keys.lifecycle_due_pk(repo), repo)


def stage_changed(tx: TransactWrite, repo: str) -> None:
    """Due now, one more change."""
    tx.update(entry(repo), actions=_CHANGED)


def mark_changed(repo: str) -> None:
    """The same, alone (a policy put: chalicelib/lifecycle/store.py says why after it)."""
    entry(repo).update(actions=_CHANGED)
