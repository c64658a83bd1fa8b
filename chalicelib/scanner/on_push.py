"""Scan on push: the stream consumer queues a scan message for each pushed image (into the
scan queue, chalicelib/scanner/scan_queue.py), and the scan function runs it, so a push never
waits for a scan. A failed scan is retried with the webhooks' backoff.

On unless BERTH_SCAN_ON_PUSH is off (the test suite turns it off so event tests count only
their own deliveries; tests of this module turn it on)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from chalicelib.events.change import PUSH, Change
from chalicelib.events.http_post import Outcome
from chalicelib.log import logger
from chalicelib.oci import media_types as mt
from chalicelib.scanning.image_kinds import IMAGE_CONFIGS

MESSAGE_TYPE = "scan"


def enabled() -> bool:
    return os.environ.get("BERTH_SCAN_ON_PUSH", "on") not in ("0", "off", "false")


def scan_message(message_id: str, repository: str, digest: str) -> dict[str, Any]:
    """A scan that reads the image's layers (those no scan read before)."""
    return {
        "scan": True,
        "id": message_id,
        "type": MESSAGE_TYPE,
        "repository": repository,
        "digest": digest,
        "attempt": 1,
        "not_before": 0,
    }


def scan_messages(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """One message per new image manifest or index; artifacts (an artifactType, a subject)
    carry no filesystem and are not scanned."""
    if not enabled():
        return []
    return [
        scan_message(change.id, change.repository, change.digest)
        for change in changes
        if change.kind == PUSH
        and change.digest
        and change.media_type in mt.MANIFESTS
        and (change.artifact_type is None or change.artifact_type in IMAGE_CONFIGS)
    ]


def run(message: dict[str, Any]) -> Outcome:
    """Scan now; an image deleted meanwhile is done with, a storage fault is retried, and a
    rescan queued for an older advisory database is dropped."""
    from chalicelib.scanner.rescan import superseded
    from chalicelib.scanner.run import ImageNotFound, scan_or_record_failure

    started = time.perf_counter()
    repository, digest = str(message["repository"]), str(message["digest"])
    try:
        if superseded(message):  # a newer database's rescan scans it again anyway
            return Outcome(200, int((time.perf_counter() - started) * 1000))
        # A rescan (its message names the database) matches the stored inventory: an image's
        # packages do not change with the advisories, so its layers are not read again.
        scan_or_record_failure(repository, digest, reuse_inventory="database" in message)
    except ImageNotFound:
        logger.info("scan skipped: image gone", extra={"fields": {"digest": digest}})
    except Exception as error:  # S3 or DynamoDB fault: the queue hands it back later
        text = f"{type(error).__name__}: {error}"[:300]
        return Outcome(None, int((time.perf_counter() - started) * 1000), text)
    return Outcome(200, int((time.perf_counter() - started) * 1000))
