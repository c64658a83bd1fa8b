"""A queue consumer's loop, shared by the delivery queue (webhooks, triggers, replication) and
the scan queue: a message not due yet is queued again, a failed attempt is queued again with
the backoff's delay, and one whose attempts ran out goes to its dead-letter queue.

SQS delays a message by at most 15 minutes, so a longer wait is several hops, each of which
only re-queues until its `not_before`."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.events import backoff
from chalicelib.events.http_post import Outcome
from chalicelib.events.publish import send
from chalicelib.log import logger


def handle(
    bodies: Iterable[str],
    attempt: Callable[[dict[str, Any]], Outcome | None],
    *,
    clock: Callable[[], float],
    rng: random.Random | None,
    queue_url: str | None,
    dead_letter_url: str | None,
) -> None:
    """Each message: wait longer, or attempt (None: nothing to do), then queue the retry or
    dead-letter it. `queue_url` None is the delivery queue. Raises only when the queue itself
    fails (SQS then hands the message again)."""
    for raw in bodies:
        message = json.loads(raw)
        moment = clock()
        wait = int(message.get("not_before", 0) - moment)
        if wait > 0:
            send([message], delay=min(backoff.SQS_MAX_DELAY, wait), queue_url=queue_url)
            continue
        outcome = attempt(message)
        if outcome is None or outcome.ok:
            continue
        number = int(message["attempt"])
        if backoff.exhausted(number):
            send([{**message, "error": outcome.error}], queue_url=dead_letter_url)
            logger.warning("delivery dead-lettered", extra={"fields": {"id": message["id"]}})
            continue
        delay = backoff.delay(number, rng)
        retry = {**message, "attempt": number + 1, "not_before": int(moment) + delay}
        send([retry], delay=min(backoff.SQS_MAX_DELAY, delay), queue_url=queue_url)
