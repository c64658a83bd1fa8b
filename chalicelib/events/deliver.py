"""The delivery queue's consumer: sign, POST, log, and on failure queue the next attempt.

Runs in AWS as app.py's `on_sqs_message` handler and in `berth serve`'s queue reader. A
failed attempt is queued again with the backoff's delay (chalicelib/events/backoff.py,
retries.py). After the last attempt the message goes to the dead-letter queue, from which
`berth webhook redeliver` sends it again. Scans are not run here: they have their own queue
and function (chalicelib/scanner/scan_queue.py)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.events import http_post, signing, triggers, webhooks
from chalicelib.events.config import event_settings
from chalicelib.events.models import DELIVERY_TTL, DeliveryItem, WebhookItem
from chalicelib.events.publish import send
from chalicelib.events.records import Delivery
from chalicelib.log import logger
from chalicelib.storage.keys import DELIVERY_PREFIX, delivery_sk, trigger_log_pk, webhook_log_pk

USER_AGENT = "Berth-Webhooks/1"


def attempt(
    webhook: WebhookItem,
    message: dict[str, Any],
    *,
    clock: Callable[[], float] = time.time,
    resolver: http_post.Resolver = http_post.resolve,
) -> http_post.Outcome:
    """Send one attempt and log it."""
    body = str(message["body"]).encode()
    stamp = int(clock())
    headers = {
        "Content-Type": (
            "application/cloudevents+json"
            if webhook.body_format == "cloudevents"
            else "application/json"
        ),
        "User-Agent": USER_AGENT,
        **signing.headers(webhook.secret, str(message["id"]), stamp, body),
    }
    if webhook.authorization:
        headers["Authorization"] = webhook.authorization
    settings = event_settings()
    outcome = http_post.post(
        webhook.url,
        body,
        headers,
        allow_http=settings.allow_http,
        allowed=webhooks.allowed_networks(webhook),
        timeout=settings.timeout,
        resolver=resolver,
    )
    _log(webhook_log_pk(webhooks.id_of(webhook)), message, outcome, stamp)
    return outcome


def run_trigger(
    trigger: triggers.TriggerItem, message: dict[str, Any], *, clock: Callable[[], float]
) -> http_post.Outcome:
    """Redeploy once and log it (in the trigger's own delivery log)."""
    stamp = int(clock())
    started = time.perf_counter()
    try:
        done = triggers.run(trigger, str(message["digest"]))
        outcome = http_post.Outcome(200, int((time.perf_counter() - started) * 1000), None, done)
    except Exception as error:  # an AWS refusal or fault: retried like a failed webhook
        text = f"{type(error).__name__}: {error}"[:300]
        outcome = http_post.Outcome(None, int((time.perf_counter() - started) * 1000), text)
    _log(trigger_log_pk(triggers.id_of(trigger)), message, outcome, stamp)
    return outcome


def _log(partition: str, message: dict[str, Any], outcome: http_post.Outcome, stamp: int) -> None:
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        DeliveryItem(
            partition,
            delivery_sk(at, str(message["id"]), int(message["attempt"])),
            event_id=str(message["id"]),
            event_type=str(message["type"]),
            attempt=int(message["attempt"]),
            status=outcome.status,
            ok=outcome.ok,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            response=outcome.response,
            payload=json.dumps({k: message[k] for k in ("id", "type", "body") if k in message}),
            expires_at=stamp + DELIVERY_TTL,
        ).save()
    except Exception as error:  # the log is for people; the delivery itself went on
        logger.warning("delivery log write failed", exc_info=error)


def handle_messages(
    bodies: Iterable[str],
    *,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    resolver: http_post.Resolver = http_post.resolve,
    remaining: Callable[[], float] | None = None,
) -> None:
    """Each message: wait longer, or attempt, then queue the retry or dead-letter it
    (chalicelib/events/retries.py). Raises only when the queue itself fails (SQS then hands
    the message again). `remaining` is the run's time left in seconds (Lambda's context): a
    replication copy stops before it, saved, and its retry continues."""
    from chalicelib.events import retries

    retries.handle(
        bodies,
        lambda message: _attempt(message, clock, resolver, remaining),
        clock=clock,
        rng=rng,
        queue_url=None,
        dead_letter_url=event_settings().dead_letter_queue_url,
    )


def _attempt(
    message: dict[str, Any],
    clock: Callable[[], float],
    resolver: http_post.Resolver,
    remaining: Callable[[], float] | None = None,
) -> http_post.Outcome | None:
    """A webhook's POST, a trigger's redeploy, a replication's copy or a cache fill; None if
    its subscription is gone or off. A scan or a rescan's page, queued here before scans had a
    queue of their own, is moved to the scan queue."""
    if "scan" in message or "rescan" in message:
        from chalicelib.scanner import scan_queue

        scan_queue.send([message])
        return None
    if "replication" in message:
        from chalicelib.replication.deadline import NEVER, Deadline
        from chalicelib.replication.handler import attempt as replicate

        deadline = NEVER if remaining is None else Deadline(remaining)
        return replicate(message, clock=clock, deadline=deadline)
    if "cachefill" in message:  # a pull-through cache's blob, stored after the client was
        from chalicelib.cache import fill_jobs  # sent upstream (cache/fill_jobs.py)

        return fill_jobs.run(message)
    try:
        if "trigger" in message:
            trigger = triggers.get(str(message["trigger"]))
            return run_trigger(trigger, message, clock=clock) if trigger.enabled else None
        webhook = webhooks.get(str(message["webhook"]))
    except (webhooks.NoSuchWebhook, triggers.NoSuchTrigger):
        logger.info(
            "delivery dropped: subscription removed", extra={"fields": {"id": message["id"]}}
        )
        return None
    if not webhook.enabled:
        return None
    return attempt(webhook, message, clock=clock, resolver=resolver)


def deliveries(webhook_id: str, limit: int = 50) -> list[Delivery]:
    """The last attempts, newest first."""
    return log_of(webhook_log_pk(webhook_id), limit)


def log_of(partition: str, limit: int) -> list[Delivery]:
    """The last attempts logged under `partition` (a webhook's or a trigger's), newest first."""
    return [
        Delivery(
            item.sk.split("#")[1],
            item.event_id,
            item.event_type,
            int(item.attempt),
            None if item.status is None else int(item.status),
            bool(item.ok),
            int(item.latency_ms),
            item.error,
            item.response,
        )
        for item in DeliveryItem.query(
            partition,
            DeliveryItem.sk.startswith(DELIVERY_PREFIX),
            scan_index_forward=False,
            limit=limit,
        )
    ]


def runs(trigger_id: str, limit: int = 50) -> list[Delivery]:
    """A trigger's last runs, newest first."""
    return log_of(trigger_log_pk(trigger_id), limit)


def ping(webhook_id: str, message: dict[str, Any]) -> http_post.Outcome:
    """Deliver `message` (a `webhook.ping`) to the webhook now, once, whatever its state."""
    return attempt(webhooks.get(webhook_id), message)


def redeliver(webhook_id: str, event_id: str) -> bool:
    """Queue a logged event again as a first attempt; False if the log does not have it."""
    for item in DeliveryItem.query(
        webhook_log_pk(webhook_id),
        DeliveryItem.sk.startswith(DELIVERY_PREFIX),
        filter_condition=DeliveryItem.event_id == event_id,
        scan_index_forward=False,
    ):
        if item.payload:
            stored = json.loads(item.payload)
            send([{**stored, "webhook": webhook_id, "attempt": 1, "not_before": 0}])
            return True
    return False


def redrive_dead_letters(max_messages: int = 100) -> int:
    """Move what waits in the dead-letter queue back as first attempts (after the receiver
    is fixed); returns how many."""
    from chalicelib.auth.aws import client

    dead = event_settings().dead_letter_queue_url
    if dead is None:
        return 0
    sqs = client("sqs")
    moved = 0
    while moved < max_messages:
        answer = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        found = answer.get("Messages", [])
        if not found:
            break
        for entry in found:
            message = json.loads(entry["Body"])
            message.pop("error", None)
            send([{**message, "attempt": 1, "not_before": 0}])
            sqs.delete_message(QueueUrl=dead, ReceiptHandle=entry["ReceiptHandle"])
            moved += 1
    return moved
