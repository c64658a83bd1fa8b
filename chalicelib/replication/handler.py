"""Replication through the delivery queue (chalicelib/events/): the stream handler turns
each change a rule selects into one message per destination (and marks it pending); the
queue's consumer copies, records done or failed, and on failure the message comes back
with the webhooks' backoff, then goes to the dead-letter queue. Same code in Lambda and in
`berth serve`'s pipeline."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.events import backoff
from chalicelib.events.change import Change
from chalicelib.events.http_post import Outcome
from chalicelib.log import logger
from chalicelib.replication import copy_image, events, rules, status
from chalicelib.replication.deadline import NEVER, Deadline, OutOfTime
from chalicelib.replication.destinations import Destination
from chalicelib.replication.sinks import open_sink
from chalicelib.replication.status import Replica
from chalicelib.replication.upload_checkpoints import Checkpoints

TYPE = "replicate"


def _message_id(change_id: str, copy: rules.Copy) -> str:
    raw = f"{change_id}\n{rules.id_of(copy.rule)}\n{copy.destination}\n{copy.tag}\n{copy.action}"
    return "rep_" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def replica_of(message: dict[str, Any], destination: Destination) -> Replica:
    repository = str(message["repository"])
    return Replica(
        repository=repository,
        digest=str(message["digest"]),
        rule=str(message["replication"]),
        index=int(message["destination"]),
        destination=destination.describe(),
        target=destination.repository(repository),
        tag=message.get("tag"),
        action=str(message["action"]),
    )


def message(
    rule_id: str, index: int, repository: str, digest: str, tag: str | None, action: str, key: str
) -> dict[str, Any]:
    return {
        "replication": rule_id,
        "destination": index,
        "id": key,
        "type": TYPE,
        "repository": repository,
        "digest": digest,
        "tag": tag,
        "action": action,
        "attempt": 1,
        "not_before": 0,
    }


def messages_for(found: Iterable[Change]) -> list[dict[str, Any]]:
    """The queue messages for a batch of changes; each is marked pending first."""
    out: list[dict[str, Any]] = []
    for change in found:
        for copy in rules.copies(change):
            if copy.digest is None:
                continue
            rule_id = rules.id_of(copy.rule)
            body = message(
                rule_id,
                copy.destination,
                change.repository,
                copy.digest,
                copy.tag,
                copy.action,
                _message_id(change.id, copy),
            )
            destination = rules.destinations_of(copy.rule)[copy.destination]
            status.pending(replica_of(body, destination))
            out.append(body)
    return out


def _carry(message: dict[str, Any], rule: rules.ReplicationRuleItem, deadline: Deadline) -> str:
    index = int(message["destination"])
    destination = rules.destinations_of(rule)[index]
    repository, digest = str(message["repository"]), str(message["digest"])
    tag, action = message.get("tag"), str(message["action"])
    kept = Checkpoints(str(message["replication"]), index, destination.repository(repository))
    sink = open_sink(destination, repository, kept, deadline)
    try:
        if action == rules.PUSH_ACTION:
            copied = copy_image.push(
                repository, digest, tag, sink, follow_referrers=bool(rule.referrers)
            )
            return copied.summary()
        sink.delete(str(tag) if action == rules.TAG_DELETE else digest)
        return f"deleted {tag if action == rules.TAG_DELETE else digest}"
    finally:
        sink.close()


def attempt(
    message: dict[str, Any],
    *,
    clock: Callable[[], float] = time.time,
    deadline: Deadline = NEVER,
) -> Outcome | None:
    """One copy; None when its rule is gone or off (the message is dropped). A copy that
    reaches `deadline` stays pending and its retry continues it (resumable_upload.py)."""
    try:
        rule = rules.get(str(message["replication"]))
    except rules.NoSuchRule:
        return None
    if not rule.enabled:
        return None
    destination = rules.destinations_of(rule)[int(message["destination"])]
    replica = replica_of(message, destination)
    number = int(message["attempt"])
    started = time.perf_counter()
    error: str | None = None
    summary: str | None = None
    try:
        summary = _carry(message, rule, deadline)
    except OutOfTime as stopped:
        elapsed = int((time.perf_counter() - started) * 1000)
        note = f"continues in the next run: {stopped}"
        status.continuing(replica, number, note)
        logger.info("replication continues", extra={"fields": {"id": message["id"], "at": note}})
        return Outcome(None, elapsed, note, None)
    except copy_image.SourceGone as gone:
        summary = f"skipped: {gone}"  # deleted since: nothing to copy, nothing to retry
    except Exception as failure:  # a refusal, a fault, a timeout: retried with backoff
        error = f"{type(failure).__name__}: {failure}"[:500]
    elapsed = int((time.perf_counter() - started) * 1000)
    status.finished(replica, number, error)
    if error is None or backoff.exhausted(number) or number == 1:
        events.publish(replica, str(message["id"]), number, error, summary)
    logger.info(
        "replication attempt",
        extra={
            "fields": {
                "id": message["id"],
                "repository": replica.repository,
                "digest": replica.digest,
                "destination": replica.destination,
                "attempt": number,
                "ok": error is None,
                "ms": elapsed,
                "error": error,
            }
        },
    )
    return Outcome(200 if error is None else None, elapsed, error, summary)
