"""The table's stream in, events out: EventBridge entries and queued webhook deliveries.

Runs as the stream's consumer in AWS (app.py `on_dynamodb_record`) and in `berth serve`'s
stream reader (berth/localserver/pipeline.py), the same code in both. A failure raises, so
the stream hands the same records again: delivery is at least once, and every copy of an
event carries the same id (receivers deduplicate by `webhook-id`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.auth.aws import client
from chalicelib.config import settings as runtime_settings
from chalicelib.events import formats, triggers, webhooks
from chalicelib.events.change import Change, from_stream_image
from chalicelib.events.config import event_settings
from chalicelib.log import logger

BATCH = 10  # PutEvents and SendMessageBatch both take at most 10 entries


class PublishFailed(RuntimeError):
    """Some entries were refused: the stream retries the batch."""


@dataclass(frozen=True, slots=True)
class Published:
    events: int
    deliveries: int


def changes(records: Iterable[Mapping[str, Any]]) -> list[Change]:
    """The events in a batch of stream records (inserts of committed audit items)."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        change = from_stream_image(image)
        if change is not None:
            found.append(change)
    return found


def handle_records(records: Iterable[Mapping[str, Any]]) -> Published:
    if runtime_settings().standby:
        # A standby's stream carries the primary's replicated writes, whose events the
        # primary already published (docs/regions.md).
        return Published(0, 0)
    found = changes(records)
    if not found:
        return Published(0, 0)
    settings = event_settings()
    if settings.eventbridge:
        _put_events(found, settings.source, settings.bus)
    queued = _enqueue(found)
    logger.info("events published", extra={"fields": {"events": len(found), "deliveries": queued}})
    return Published(len(found), queued)


def _put_events(found: list[Change], source: str, bus: str | None) -> None:
    events = client("events")
    for start in range(0, len(found), BATCH):
        entries = [formats.eventbridge_entry(c, source, bus) for c in found[start : start + BATCH]]
        answer = events.put_events(Entries=entries)
        if answer.get("FailedEntryCount"):
            raise PublishFailed(f"EventBridge refused {answer['FailedEntryCount']} entries")


def delivery_message(webhook: Any, change: Change, attempt: int = 1) -> dict[str, Any]:
    """What waits in the queue: the body exactly as it will be signed and sent."""
    if webhook.body_format == "cloudevents":
        body = formats.cloudevent_body(change, formats.cloudevent_source(event_settings().source))
    else:
        body = formats.berth_body(change)
    return {
        "webhook": webhooks.id_of(webhook),
        "id": change.id,
        "type": formats.webhook_type(change),
        "body": formats.encode(body).decode(),
        "attempt": attempt,
        "not_before": 0,
    }


def trigger_message(firing: triggers.Firing) -> dict[str, Any]:
    return {
        "trigger": triggers.id_of(firing.trigger),
        "id": firing.change.id,
        "type": "deploy",
        "repository": firing.change.repository,
        "tag": firing.tag,
        "digest": firing.digest,
        "attempt": 1,
        "not_before": 0,
    }


def _enqueue(found: list[Change]) -> int:
    messages = [delivery_message(w, c) for c in found for w in webhooks.subscribed(c)]
    messages += [trigger_message(f) for c in found for f in triggers.firings(c)]
    messages += replication_messages(found)
    if messages:
        send(messages)
    # Scans have their own queue and function (chalicelib/scanner/scan_queue.py).
    from chalicelib.scanner import scan_queue
    from chalicelib.scanner.on_push import scan_messages

    scan_queue.send(scan_messages(found))
    return len(messages)


def replication_messages(found: list[Change]) -> list[dict[str, Any]]:
    """Replication rides the same queue (chalicelib/replication/handler.py)."""
    from chalicelib.replication.handler import messages_for

    return messages_for(found)


def send(messages: list[dict[str, Any]], delay: int = 0, queue_url: str | None = None) -> None:
    """Into the delivery queue (or `queue_url`), ten at a time; raises if any is refused."""
    url = queue_url or event_settings().delivery_queue_url
    if url is None:
        raise PublishFailed("no delivery queue is configured (BERTH_DELIVERY_QUEUE_URL)")
    sqs = client("sqs")
    for start in range(0, len(messages), BATCH):
        chunk = messages[start : start + BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps(m), "DelaySeconds": delay}
                for i, m in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            raise PublishFailed(f"SQS refused {len(answer['Failed'])} deliveries")


def now() -> int:
    return int(time.time())
