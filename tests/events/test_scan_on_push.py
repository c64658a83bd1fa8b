"""Scan on push through the event pipeline (stream → publish → queue → consumer), as Lambda's
event source mappings and `berth serve`'s pipeline run it: the push returns before any scan,
the queued scan stores findings, artifacts are not scanned."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import artifact, push
from tests.events.conftest import Pump
from tests.scanning.advisories import DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
from tests.scanning.test_scan_api import debian_image, import_advisories


@pytest.fixture
def scan_on_push(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BERTH_SCAN_ON_PUSH", "on")


def stored_status(client: Any, repo: str, reference: str) -> dict[str, Any]:
    response = client.http.get(f"/v2/{repo}/_berth/scan/{reference}")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.body)
    return document


def test_a_push_is_scanned_from_the_queue(
    client: Any, repo: str, pump: Pump, scan_on_push: None
) -> None:
    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    image = debian_image()
    push(client, repo, image, "1.0")
    # The push itself scanned nothing.
    assert stored_status(client, repo, "1.0")["imageScanStatus"]["status"] == "NOT_SCANNED"

    published = pump.publish()
    assert published.deliveries == 0  # a scan is not a webhook delivery
    # On the scan queue, for the scan function: the webhook deliverer has none of it.
    assert pump.queued(pump.aws["DeliveryQueueUrl"]) == []
    queued = pump.queued(pump.aws["ScanQueueUrl"])
    assert [(m["type"], m["repository"], m["digest"]) for m in queued] == [
        ("scan", repo, image.digest)
    ]
    from chalicelib.scanner.scan_queue import handle_messages

    handle_messages([json.dumps(m) for m in queued], clock=pump.clock)
    document = stored_status(client, repo, "1.0")
    assert document["imageScanStatus"]["status"] == "COMPLETE"
    assert document["imageScanFindings"]["findingSeverityCounts"]["CRITICAL"] == 1


def test_artifacts_and_referrers_are_not_scanned(
    client: Any, repo: str, pump: Pump, scan_on_push: None
) -> None:
    image = debian_image()
    push(client, repo, image)
    pump.publish()
    pump.queued()
    push(client, repo, artifact(subject=image))
    push(client, repo, artifact(subject=None), "sbom")
    pump.publish()
    assert pump.queued() == []


def test_off_means_no_scan(client: Any, repo: str, pump: Pump) -> None:
    push(client, repo, debian_image(), "1.0")
    pump.publish()
    assert pump.queued() == []


def test_a_failing_scan_is_retried_on_the_scan_queue_then_dead_lettered(
    client: Any, repo: str, pump: Pump, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage fault: the retry waits on the scan queue (not the webhooks'), and after the
    last attempt the message lands in the scan's own dead-letter queue."""
    from chalicelib.events import backoff
    from chalicelib.scanner import run as scan_run
    from chalicelib.scanner.on_push import scan_message
    from chalicelib.scanner.scan_queue import handle_messages

    image = debian_image()
    push(client, repo, image, "1.0")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("S3 is down")

    monkeypatch.setattr(scan_run, "scan_image", broken)
    message = scan_message("m-1", repo, image.digest)
    handle_messages([json.dumps(message)], clock=pump.clock)
    assert pump.queued(pump.aws["DeliveryQueueUrl"]) == []
    pump.clock.advance(3600)
    (retry,) = pump.queued(pump.aws["ScanQueueUrl"])
    assert (retry["attempt"], retry["digest"]) == (2, image.digest)

    last = {**message, "attempt": backoff.MAX_ATTEMPTS}
    handle_messages([json.dumps(last)], clock=pump.clock)
    (dead,) = pump.queued(pump.aws["ScanDeadLetterQueueUrl"])
    assert dead["digest"] == image.digest and "S3 is down" in dead["error"]
    assert pump.queued(pump.aws["DeadLetterQueueUrl"]) == []


def test_a_scan_left_on_the_delivery_queue_moves_to_the_scan_queue(
    client: Any, repo: str, pump: Pump
) -> None:
    """Queued by a release before scans had their own queue: the small deliverer does not
    run it, it forwards it."""
    from chalicelib.events.deliver import handle_messages
    from chalicelib.scanner.on_push import scan_message

    message = scan_message("m-2", repo, "sha256:" + "1" * 64)
    handle_messages([json.dumps(message)], clock=pump.clock)
    assert pump.queued(pump.aws["ScanQueueUrl"]) == [message]
