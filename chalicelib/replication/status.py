"""Where each image stands at each destination: pending (queued), done (when), failed (the
error and how many attempts so far). One item per image, rule and destination in the
repository's replica partition, so `berth replicate status REPO` is one Query.

An image copied under several tags keeps one item: `tag` is the latest copy's (what a redrive
copies again), `tags` every tag it was copied under, so status can say that 1.0 got there too
after 1.1 (same digest) was copied — it once showed only the last tag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.replication.records import ReplicaState
from chalicelib.storage.clock import now
from chalicelib.storage.keys import replica_pk, replica_sk
from chalicelib.storage.models import _Item

PENDING = "pending"
DONE = "done"
FAILED = "failed"
MAX_ERROR = 500


class ReplicaItem(_Item):
    """pk=REPLICA#<repository>, sk=<digest>#<rule>#<n>."""

    rule = UnicodeAttribute()
    destination = UnicodeAttribute()  # as `Destination.describe()` names it
    target = UnicodeAttribute()  # the repository there
    state = UnicodeAttribute()
    tag = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)  # every tag this image was copied under
    action = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    done_at = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True, slots=True)
class Replica:
    """One image (by digest) of one repository, at destination `index` of rule `rule`."""

    repository: str
    digest: str
    rule: str
    index: int
    destination: str
    target: str
    tag: str | None
    action: str

    def item(self, state: str, attempts: int, error: str | None, at: datetime) -> ReplicaItem:
        return ReplicaItem(
            replica_pk(self.repository),
            replica_sk(self.digest, self.rule, self.index),
            rule=self.rule,
            destination=self.destination,
            target=self.target,
            state=state,
            tag=self.tag,
            action=self.action,
            attempts=attempts,
            error=None if error is None else error[:MAX_ERROR],
            updated_at=at,
            done_at=at if state == DONE else None,
        )


def _write(item: ReplicaItem) -> ReplicaItem:
    """One UpdateItem that sets every field and adds the tag to `tags` (a PutItem would
    forget the tags copied before)."""
    actions: list[Any] = [
        ReplicaItem.rule.set(item.rule),
        ReplicaItem.destination.set(item.destination),
        ReplicaItem.target.set(item.target),
        ReplicaItem.state.set(item.state),
        ReplicaItem.action.set(item.action),
        ReplicaItem.attempts.set(item.attempts),
        ReplicaItem.updated_at.set(item.updated_at),
    ]
    for name, value in (("tag", item.tag), ("error", item.error), ("done_at", item.done_at)):
        attribute: Any = getattr(ReplicaItem, name)
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    if item.tag is not None:
        actions.append(ReplicaItem.tags.add({item.tag}))
    item.update(actions=actions)
    return item


def pending(replica: Replica) -> None:
    _write(replica.item(PENDING, 0, None, now()))


def continuing(replica: Replica, attempts: int, note: str) -> None:
    """Still pending after `attempts` runs: a run ended halfway through a large blob."""
    _write(replica.item(PENDING, attempts, note, now()))


def finished(replica: Replica, attempts: int, error: str | None) -> ReplicaItem:
    """Done (error None) or failed after `attempts` attempts."""
    return _write(replica.item(DONE if error is None else FAILED, attempts, error, now()))


def of_repository(repository: str, limit: int = 1000) -> list[ReplicaItem]:
    return list(ReplicaItem.query(replica_pk(repository), consistent_read=True, limit=limit))


def failed(repository: str) -> list[ReplicaItem]:
    return [i for i in of_repository(repository) if i.state == FAILED]


def digest_of(item: ReplicaItem) -> str:
    return item.sk.split("#", 1)[0]


def states(repository: str, limit: int = 1000) -> list[ReplicaState]:
    """Where each copy of `repository`'s images stands, as the API shows it."""
    return [
        ReplicaState(
            digest_of(item),
            item.tag,
            tuple(sorted(item.tags or ({item.tag} if item.tag else set()))),
            item.rule,
            item.destination,
            item.target,
            item.action,
            item.state,
            int(item.attempts),
            item.error,
            item.updated_at,
            item.done_at,
        )
        for item in of_repository(repository, limit)
    ]
