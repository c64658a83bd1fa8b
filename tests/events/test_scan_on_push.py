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
    queued = pump.queued()
    assert [(m["type"], m["repository"], m["digest"]) for m in queued] == [
        ("scan", repo, image.digest)
    ]
    from chalicelib.events.deliver import handle_messages

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
