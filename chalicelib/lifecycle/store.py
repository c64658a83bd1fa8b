"""A repository's lifecycle policy item (`S#lifecycle`), stored as its validated document.

Versioned like the settings item: every change adds one, so a run can say which version
of the policy it applied."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.lifecycle.document import parse_policy, render_policy
from chalicelib.lifecycle.policy import Rule
from chalicelib.storage import lifecycle_due
from chalicelib.storage.clock import now
from chalicelib.storage.keys import LIFECYCLE_SK, repo_of, repo_pk
from chalicelib.storage.models import LifecycleItem

_BATCH = 100  # BatchGetItem's limit


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    rules: list[Rule]
    version: int  # 0: never set

    def document(self) -> dict[str, Any]:
        return {**render_policy(self.rules), "version": self.version}


def _of(item: LifecycleItem) -> StoredPolicy:
    return StoredPolicy(parse_policy(item.policy), int(item.version))


def get(repo: str) -> StoredPolicy:
    try:
        item = LifecycleItem.get(repo_pk(repo), LIFECYCLE_SK, consistent_read=True)
    except LifecycleItem.DoesNotExist:
        return StoredPolicy([], 0)
    return _of(item)


def get_many(repos: Iterable[str]) -> dict[str, StoredPolicy]:
    """The policies of those of `repos` that have one (one BatchGetItem per 100)."""
    names = list(dict.fromkeys(repos))
    found: dict[str, StoredPolicy] = {}
    for start in range(0, len(names), _BATCH):
        keys = [(repo_pk(n), LIFECYCLE_SK) for n in names[start : start + _BATCH]]
        for item in LifecycleItem.batch_get(keys, consistent_read=True):
            found[repo_of(item.pk)] = _of(item)
    return found


def put(repo: str, rules: list[Rule]) -> StoredPolicy:
    """Replace the policy (an empty list keeps the item, with no rules); version + 1.

    Then the repository is marked due (chalicelib/lifecycle/index.py), after the policy:
    a run that read the entry before the mark and the old policy fails its reset on the
    mark, and one that read the entry after it reads the new policy. Should the mark fail,
    the request fails and its retry marks."""
    item = LifecycleItem(repo_pk(repo), LIFECYCLE_SK)
    item.update(
        actions=[
            LifecycleItem.policy.set(render_policy(rules)),
            LifecycleItem.version.add(1),
            LifecycleItem.updated_at.set(now()),
        ]
    )
    lifecycle_due.mark_changed(repo)
    return StoredPolicy(rules, int(item.version))
