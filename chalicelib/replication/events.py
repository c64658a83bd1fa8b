"""`Berth Replication Action` on EventBridge, one per result, in the shape of ECR's
`ECR Replication Action` (`action-type` REPLICATE, `result` SUCCESS/FAILURE,
`repository-name`, `image-digest`, `image-tag`) plus where it went, so a rule written for
ECR's event matches Berth's with the source and detail-type changed; and the same fields as
an `image.replicated` webhook event (kind REPLICATION) to the webhooks subscribed to it,
queued like any delivery (signed, retried, logged)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.auth.aws import client
from chalicelib.events.change import REPLICATION, Change
from chalicelib.events.config import event_settings
from chalicelib.log import logger
from chalicelib.replication.status import Replica

REPLICATION_ACTION = "Berth Replication Action"
ACTOR = "system:replication"


def detail(
    replica: Replica, event_id: str, attempt: int, error: str | None, summary: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event-id": event_id,
        "action-type": "REPLICATE",
        "replication-action": replica.action,
        "result": "SUCCESS" if error is None else "FAILURE",
        "repository-name": replica.repository,
        "image-digest": replica.digest,
        "image-tag": replica.tag,
        "rule-id": replica.rule,
        "destination": replica.destination,
        "destination-repository": replica.target,
        "attempt": attempt,
        "error": error,
        "summary": summary,
    }
    return {k: v for k, v in out.items() if v is not None}


def publish(
    replica: Replica, event_id: str, attempt: int, error: str | None, summary: str | None
) -> None:
    """Best effort: the replica's status item is the record; an event that cannot be put is
    logged, not retried (retrying would copy the image again for an event)."""
    found = detail(replica, event_id, attempt, error, summary)
    _to_webhooks(replica, event_id, attempt, found)
    settings = event_settings()
    if not settings.eventbridge:
        return
    entry: dict[str, Any] = {
        "Source": settings.source,
        "DetailType": REPLICATION_ACTION,
        "Detail": json.dumps(found),
        "Resources": [],
        "Time": datetime.now(UTC),
    }
    if settings.bus:
        entry["EventBusName"] = settings.bus
    try:
        answer = client("events").put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            logger.warning("replication event refused", extra={"fields": {"id": event_id}})
    except Exception as error:
        logger.warning("replication event not put", exc_info=error)


def change_of(replica: Replica, event_id: str, attempt: int, found: dict[str, Any]) -> Change:
    """The result as a webhook event: its id is the copy's and the attempt's (a receiver
    deduplicates by it; each result is a new event), `copy-id` the copy's id alone."""
    fields = {k: v for k, v in found.items() if k != "event-id"}
    return Change(
        id=f"{event_id}_{attempt:02d}",
        kind=REPLICATION,
        repository=replica.repository,
        digest=replica.digest,
        at=datetime.now(UTC),
        who=ACTOR,
        detail={"copy-id": event_id, **fields},
    )


def _to_webhooks(replica: Replica, event_id: str, attempt: int, found: dict[str, Any]) -> None:
    from chalicelib.events import publish, webhooks

    change = change_of(replica, event_id, attempt, found)
    try:
        messages = [publish.delivery_message(w, change) for w in webhooks.subscribed(change)]
        if messages:
            publish.send(messages)
    except Exception as error:
        logger.warning("replication webhook event not queued", exc_info=error)
