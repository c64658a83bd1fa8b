"""`Berth Replication Action` on EventBridge, one per result, in the shape of ECR's
`ECR Replication Action` (`action-type` REPLICATE, `result` SUCCESS/FAILURE,
`repository-name`, `image-digest`, `image-tag`) plus where it went, so a rule written for
ECR's event matches Berth's with the source and detail-type changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.auth.aws import client
from chalicelib.events.config import event_settings
from chalicelib.log import logger
from chalicelib.replication.status import Replica

REPLICATION_ACTION = "Berth Replication Action"


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
    settings = event_settings()
    if not settings.eventbridge:
        return
    entry: dict[str, Any] = {
        "Source": settings.source,
        "DetailType": REPLICATION_ACTION,
        "Detail": json.dumps(detail(replica, event_id, attempt, error, summary)),
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
