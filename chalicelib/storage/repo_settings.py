"""A repository's settings item (`S#settings`): read it, change it, and guard a tag move
against a concurrent change of it (a ConditionCheck on the version the move was decided at)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from chalicelib.rules.immutability import DEFAULT_ROLLBACK_WINDOW, TagRules
from chalicelib.storage import lifecycle_due
from chalicelib.storage.clock import now
from chalicelib.storage.keys import SETTINGS_SK, repo_pk
from chalicelib.storage.models import SettingsItem

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite


def get(repo: str) -> TagRules:
    """The repository's rules (defaults, version 0, when it has none stored)."""
    try:
        item = SettingsItem.get(repo_pk(repo), SETTINGS_SK, consistent_read=True)
    except SettingsItem.DoesNotExist:
        return TagRules()
    return TagRules(
        immutable=bool(item.immutable),
        exclude=tuple(str(p) for p in item.immutable_exclude or ()),
        version=int(item.version),
        rollback_window=_window(item.rollback_window),
    )


def _window(stored: Any) -> int:
    return DEFAULT_ROLLBACK_WINDOW if stored is None else int(stored)


def put(
    repo: str, immutable: bool, exclude: tuple[str, ...], rollback_window: int | None = None
) -> TagRules:
    """Replace the rules (the rollback window only when given); the version goes up by one,
    atomically."""
    item = SettingsItem(repo_pk(repo), SETTINGS_SK)
    window = (
        [SettingsItem.rollback_window.set(rollback_window)] if rollback_window is not None else []
    )
    item.update(
        actions=[
            *window,
            SettingsItem.immutable.set(immutable),
            SettingsItem.immutable_exclude.set(cast(Any, list(exclude)))
            if exclude
            else SettingsItem.immutable_exclude.remove(),
            SettingsItem.version.add(1),
            SettingsItem.updated_at.set(now()),
        ]
    )
    # What a lifecycle plan protects changed: plan again (after the change, as for a
    # policy: chalicelib/lifecycle/store.py).
    lifecycle_due.mark_changed(repo)
    return TagRules(
        immutable=immutable,
        exclude=exclude,
        version=int(item.version),
        rollback_window=_window(item.rollback_window),
    )


def stage_unchanged(tx: TransactWrite, repo: str, rules: TagRules) -> None:
    """Make `tx` fail (as a condition failure, so callers retry) if the rules changed."""
    condition: Any = (
        SettingsItem.pk.does_not_exist()
        if rules.version == 0
        else SettingsItem.version == rules.version
    )
    tx.condition_check(SettingsItem, repo_pk(repo), SETTINGS_SK, condition=condition)
