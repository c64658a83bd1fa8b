"""A repository's settings item (`S#settings`): read it, change it, and guard a tag move
against a concurrent change of it (a ConditionCheck on the version the move was decided at)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from chalicelib.rules.immutability import TagRules
from chalicelib.storage.clock import now
from chalicelib.storage.models import SettingsItem, repo_pk

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

SETTINGS_SK = "S#settings"


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
    )


def put(repo: str, immutable: bool, exclude: tuple[str, ...]) -> TagRules:
    """Replace the rules; the version goes up by one, atomically."""
    item = SettingsItem(repo_pk(repo), SETTINGS_SK)
    item.update(
        actions=[
            SettingsItem.immutable.set(immutable),
            SettingsItem.immutable_exclude.set(cast(Any, list(exclude)))
            if exclude
            else SettingsItem.immutable_exclude.remove(),
            SettingsItem.version.add(1),
            SettingsItem.updated_at.set(now()),
        ]
    )
    return TagRules(immutable=immutable, exclude=exclude, version=int(item.version))


def stage_unchanged(tx: TransactWrite, repo: str, rules: TagRules) -> None:
    """Make `tx` fail (as a condition failure, so callers retry) if the rules changed."""
    condition: Any = (
        SettingsItem.pk.does_not_exist()
        if rules.version == 0
        else SettingsItem.version == rules.version
    )
    tx.condition_check(SettingsItem, repo_pk(repo), SETTINGS_SK, condition=condition)
