"""Where events go, from the environment `berth deploy` (or `berth serve`) sets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class EventSettings:
    # EventBridge `source` of every event: `berth.<stage>` unless set.
    source: str
    # The bus; None is the account's default bus.
    bus: str | None
    # False where no EventBridge is wanted (BERTH_EVENTBRIDGE=off).
    eventbridge: bool
    # The SQS queue webhook deliveries wait in, and the dead-letter queue after the retries.
    delivery_queue_url: str | None
    dead_letter_queue_url: str | None
    # Plain http:// targets: only where the registry runs locally (`berth serve`).
    allow_http: bool
    # Seconds a receiver has to answer.
    timeout: float
    # Networks every webhook may reach although they are not public (the operator's choice;
    # `berth serve` allows loopback so a laptop's receiver works).
    allow_networks: tuple[str, ...] = ()
    # Scans have their own queue and dead-letter queue (chalicelib/scanner/scan_queue.py).
    scan_queue_url: str | None = None
    scan_dead_letter_queue_url: str | None = None


@lru_cache(maxsize=1)
def event_settings() -> EventSettings:
    env = os.environ
    stage = env.get("BERTH_STAGE", "local")
    return EventSettings(
        source=env.get("BERTH_EVENT_SOURCE") or f"berth.{stage}",
        bus=env.get("BERTH_EVENT_BUS") or None,
        eventbridge=env.get("BERTH_EVENTBRIDGE", "on") not in ("0", "off", "false"),
        delivery_queue_url=env.get("BERTH_DELIVERY_QUEUE_URL") or None,
        dead_letter_queue_url=env.get("BERTH_DEAD_LETTER_QUEUE_URL") or None,
        allow_http=env.get("BERTH_WEBHOOK_ALLOW_HTTP", "") in ("1", "on", "true"),
        timeout=float(env.get("BERTH_WEBHOOK_TIMEOUT", "5")),
        allow_networks=tuple(
            v for v in env.get("BERTH_WEBHOOK_ALLOW_NETWORKS", "").split(",") if v
        ),
        scan_queue_url=env.get("BERTH_SCAN_QUEUE_URL") or None,
        scan_dead_letter_queue_url=env.get("BERTH_SCAN_DEAD_LETTER_QUEUE_URL") or None,
    )


# What the event handlers are attached to. `berth deploy` puts the stack's outputs in the
# stage's environment, which Chalice sets before it reads app.py; elsewhere (tests, `berth
# serve`) the handlers are called directly and these names are only placeholders.
_LOCAL_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/berth-local-meta/stream/local"
_LOCAL_QUEUE = "arn:aws:sqs:us-east-1:000000000000:berth-local-webhooks"
_LOCAL_SCAN_QUEUE = "arn:aws:sqs:us-east-1:000000000000:berth-local-scans"


def stream_arn() -> str:
    return os.environ.get("BERTH_TABLE_STREAM_ARN") or _LOCAL_STREAM


def delivery_queue_arn() -> str:
    return os.environ.get("BERTH_DELIVERY_QUEUE_ARN") or _LOCAL_QUEUE


def scan_queue_arn() -> str:
    return os.environ.get("BERTH_SCAN_QUEUE_ARN") or _LOCAL_SCAN_QUEUE
