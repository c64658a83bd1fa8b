"""Replication rules: which repositories (a pattern) and tags (globs) go to which
destinations, for which kinds of change, and whether referrers follow their subject.

The stream handler matches every change against the rules, so they are read at most once
per CACHE_SECONDS per function instance (one Query), as webhooks and triggers are."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.auth.permissions import check_pattern, matches
from chalicelib.events.cached import Cached
from chalicelib.events.change import DELETE, PUSH, REFERRER, ROLLBACK, TAG, Change
from chalicelib.replication import destinations, tag_filter
from chalicelib.replication.destinations import Destination

if TYPE_CHECKING:
    from chalicelib.remote.address_guard import Resolver
from chalicelib.replication.records import ReplicationRule
from chalicelib.storage.clock import now
from chalicelib.storage.keys import (
    REPLICATION_PARTITION,
    REPLICATION_RULE_PREFIX,
    replication_rule_id,
    replication_rule_sk,
)
from chalicelib.storage.models import _Item

# What a rule may replicate: pushes always; deletions only when asked.
PUSH_ACTION = "push"
TAG_DELETE = "tag_delete"
MANIFEST_DELETE = "manifest_delete"
ACTIONS = (PUSH_ACTION, TAG_DELETE, MANIFEST_DELETE)
CACHE_SECONDS = 15
MAX_RULES = 100


class RuleError(ValueError):
    pass


class NoSuchRule(LookupError):
    pass


class ReplicationRuleItem(_Item):
    """pk=REPLICATION, sk=RR#<id>."""

    repository = UnicodeAttribute()  # a pattern: name, `ns/*` or `*`
    include_tags = ListAttribute(of=UnicodeAttribute, default=list)
    exclude_tags = ListAttribute(of=UnicodeAttribute, default=list)
    destinations = UnicodeAttribute()  # JSON list, references to credentials only
    actions = ListAttribute(of=UnicodeAttribute, default=list)
    referrers = BooleanAttribute(default=True)
    enabled = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)


@dataclass(frozen=True, slots=True)
class Copy:
    """One change to carry to one destination of one rule."""

    rule: ReplicationRuleItem
    destination: int  # its index in the rule
    action: str  # one of ACTIONS
    tag: str | None
    digest: str | None


def secret_path() -> str:
    """Where destination credentials must be kept (berth/deploy/iam_policy.py allows it)."""
    import os

    return f"berth/{os.environ.get('BERTH_STAGE', 'local')}/replication/"


def id_of(item: ReplicationRuleItem) -> str:
    return replication_rule_id(item.sk)


def destinations_of(item: ReplicationRuleItem) -> list[Destination]:
    return destinations.from_documents(json.loads(item.destinations))


def rule_of(item: ReplicationRuleItem) -> ReplicationRule:
    return ReplicationRule(
        id_of(item),
        item.repository,
        tuple(str(g) for g in item.include_tags),
        tuple(str(g) for g in item.exclude_tags),
        tuple(destinations_of(item)),
        tuple(str(a) for a in item.actions),
        bool(item.referrers),
        bool(item.enabled),
        item.created_at,
        item.created_by,
    )


def find(rule_id: str) -> ReplicationRule:
    """The rule `rule_id` (NoSuchRule if there is none), as the API shows it."""
    return rule_of(get(rule_id))


def listing() -> list[ReplicationRule]:
    return [rule_of(item) for item in list_all()]


def create(
    *,
    repository: str,
    targets: list[Any],
    include_tags: list[str] | None = None,
    exclude_tags: list[str] | None = None,
    actions: list[str] | None = None,
    referrers: bool = True,
    allow_http: bool = False,
    created_by: str | None = None,
    resolver: Resolver | None = None,
) -> ReplicationRuleItem:
    """A new rule; RuleError on a bad field or a destination at an address a copy may not
    reach (`resolver` resolves hosts; the system's by default)."""
    from chalicelib.remote.address_guard import resolve
    from chalicelib.replication import destination_guard

    try:
        check_pattern(repository)
        path = secret_path()
        parsed = [destinations.parse(t, allow_http=allow_http, secret_path=path) for t in targets]
        for destination in parsed:
            destination_guard.check(destination, resolver or resolve)
        include = tag_filter.check(include_tags if include_tags is not None else ["*"])
        exclude = tag_filter.check(exclude_tags or [])
    except ValueError as error:
        raise RuleError(str(error)) from None
    if not parsed or len(parsed) > destinations.MAX_DESTINATIONS:
        raise RuleError(f"give 1 to {destinations.MAX_DESTINATIONS} destinations")
    wanted = actions if actions is not None else [PUSH_ACTION]
    if not wanted or set(wanted) - set(ACTIONS):
        raise RuleError(f"actions are some of {', '.join(ACTIONS)}")
    if len(list_all()) >= MAX_RULES:
        raise RuleError(f"a registry has at most {MAX_RULES} replication rules")
    item = ReplicationRuleItem(
        REPLICATION_PARTITION,
        replication_rule_sk(secrets.token_hex(8)),
        repository=repository,
        include_tags=include,
        exclude_tags=exclude,
        destinations=json.dumps([d.document() for d in parsed]),
        actions=sorted(set(wanted), key=ACTIONS.index),
        referrers=referrers,
        enabled=True,
        created_at=now(),
        created_by=created_by,
    )
    item.save(condition=ReplicationRuleItem.sk.does_not_exist())
    forget()
    return item


def get(rule_id: str) -> ReplicationRuleItem:
    try:
        return ReplicationRuleItem.get(
            REPLICATION_PARTITION, replication_rule_sk(rule_id), consistent_read=True
        )
    except ReplicationRuleItem.DoesNotExist:
        raise NoSuchRule(f"no replication rule {rule_id[:40]!r}") from None


def delete(rule_id: str) -> None:
    get(rule_id).delete()
    forget()


def list_all() -> list[ReplicationRuleItem]:
    return list(
        ReplicationRuleItem.query(
            REPLICATION_PARTITION,
            ReplicationRuleItem.sk.startswith(REPLICATION_RULE_PREFIX),
            consistent_read=True,
        )
    )


_rules: Cached[ReplicationRuleItem] = Cached(list_all, CACHE_SECONDS)


def forget() -> None:
    _rules.forget()


def _copies(item: ReplicationRuleItem, change: Change) -> list[tuple[str, str | None, str | None]]:
    """(action, tag, digest) this rule carries for `change`, before fanning out."""
    include = [str(g) for g in item.include_tags]
    exclude = [str(g) for g in item.exclude_tags]
    actions = {str(a) for a in item.actions}
    if change.kind in (PUSH, TAG, ROLLBACK) and PUSH_ACTION in actions:
        moved = [m for m in change.tags if m.after]
        if moved:
            return [
                (PUSH_ACTION, m.tag, m.after)
                for m in moved
                if tag_filter.selects(include, exclude, m.tag)
            ]
        if change.kind == PUSH and tag_filter.selects(include, exclude, None):
            return [(PUSH_ACTION, None, change.digest)]
        return []
    if change.kind == REFERRER and PUSH_ACTION in actions and item.referrers:
        return [(PUSH_ACTION, None, change.digest)]  # a signature or SBOM attached later
    if change.kind == DELETE:
        gone = [m for m in change.tags if m.after is None and m.before]
        if gone:
            if TAG_DELETE not in actions:
                return []
            return [
                (TAG_DELETE, m.tag, m.before)
                for m in gone
                if tag_filter.selects(include, exclude, m.tag)
            ]
        if MANIFEST_DELETE in actions and change.digest:
            return [(MANIFEST_DELETE, None, change.digest)]
    return []


def copies(change: Change, clock: float | None = None) -> list[Copy]:
    """Every (rule, destination) a change goes to. Referrers follow their subject when the
    subject replicates (chalicelib/replication/copy_image.py), and one attached later is
    carried on its own."""
    found: list[Copy] = []
    for item in _rules.current(clock):
        if not item.enabled or not matches(item.repository, change.repository):
            continue
        for action, tag, digest in _copies(item, change):
            for index in range(len(json.loads(item.destinations))):
                found.append(Copy(item, index, action, tag, digest))
    return found
