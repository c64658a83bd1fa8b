"""The scan queue and its consumer: scans on push, scans asked for (`berth scan --rescan`) and
the pages of a rescan's walk run in a function of their own (app.py `run_scans`: Lambda's 15
minutes and 2 GB, .chalice/config.json), not in the webhook deliverer, which stays small, nor
in the API function and its 60 s. A scan that fails on a storage fault is retried with the
webhooks' backoff and, when its attempts run out, dead-lettered on the scan's own queue.

The same handler runs in `berth serve`'s pipeline (berth/localserver/pipeline.py)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.events.config import event_settings
from chalicelib.events.http_post import Outcome


class NoScanQueue(RuntimeError):
    """The function's environment names no scan queue (BERTH_SCAN_QUEUE_URL)."""


def send(messages: list[dict[str, Any]], delay: int = 0) -> None:
    """Into the scan queue, ten to a SendMessageBatch; raises if any is refused."""
    from chalicelib.events.publish import send as send_to

    if not messages:
        return
    url = event_settings().scan_queue_url
    if url is None:
        raise NoScanQueue("no scan queue is configured (BERTH_SCAN_QUEUE_URL)")
    send_to(messages, delay=delay, queue_url=url)


def run(message: dict[str, Any]) -> Outcome:
    """A page of a rescan's walk, or one image's scan."""
    if "rescan" in message:
        from chalicelib.scanner import rescan

        return rescan.run(message)
    from chalicelib.scanner import on_push

    return on_push.run(message)


def handle_messages(
    bodies: Iterable[str],
    *,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
) -> None:
    """Each message: run it, or queue its retry on the scan queue, or dead-letter it."""
    from chalicelib.events import retries

    settings = event_settings()
    if settings.scan_queue_url is None:
        raise NoScanQueue("no scan queue is configured (BERTH_SCAN_QUEUE_URL)")
    retries.handle(
        bodies,
        run,
        clock=clock,
        rng=rng,
        queue_url=settings.scan_queue_url,
        dead_letter_url=settings.scan_dead_letter_queue_url,
    )
