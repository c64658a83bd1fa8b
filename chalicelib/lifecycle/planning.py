"""The pure model (chalicelib/lifecycle/policy.py) applied to what a run read."""

from __future__ import annotations

from datetime import datetime

from chalicelib.lifecycle import policy
from chalicelib.lifecycle.policy import Manifest, Plan, Rule
from chalicelib.lifecycle.snapshot import Snapshot
from chalicelib.rules.immutability import TagRules


def plan(snapshot: Snapshot, rules: list[Rule], settings: TagRules, moment: datetime) -> Plan:
    """The plan over what was read: the rollback window and immutable tags protect."""
    pinned = {t.digest for name, t in snapshot.tags.items() if settings.is_immutable(name)}
    return policy.evaluate(
        [
            Manifest(m.digest, m.pushed_at, m.last_pulled, m.children, m.subject)
            for m in snapshot.manifests.values()
        ],
        {name: t.digest for name, t in snapshot.tags.items()},
        rules,
        moment,
        protected=policy.rollback_window(snapshot.moves, settings.rollback_window),
        pinned=pinned,
    )
