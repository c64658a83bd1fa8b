"""Rescans when the advisory database changes, through the event pipeline as Lambda's event
source mappings and `berth serve` run it: an import with `rescan` queues a walk over the
stored images, the walk queues their scans, and an image whose findings changed (and only
such an image) becomes one `Berth Image Scan` event on EventBridge, with severity counts."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from tests.api.helpers import assert_ok, push
from tests.events.conftest import Pump
from tests.scanning.test_scan_api import scan
from tests.scanning.test_scan_pull_policy import refusal, set_scan_policy
from tests.scanning.unique_package import advisory, python_image, unique_name


def load(client: Any, advisories: list[dict[str, Any]], rescan: bool) -> dict[str, Any]:
    response = client.http.post(
        "/v2/_berth/vulndb",
        headers={"content-type": "application/json"},
        body=json.dumps({"advisories": advisories, "rescan": rescan}).encode(),
    )
    assert_ok(response, 200)
    state: dict[str, Any] = json.loads(response.body)
    return state


def scan_events_queue(repo: str) -> str:
    """An SQS queue behind an EventBridge rule for this repository's scan events."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    name = f"scans-{repo.split('/')[1]}"
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pattern = {"detail-type": ["Berth Image Scan"], "detail": {"repository-name": [repo]}}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return queue


def settle(pump: Pump) -> None:
    """Run the pipeline until nothing is left: walks, scans, and the events they cause."""
    for _ in range(20):
        pump.publish()
        if not pump.deliver():
            pump.publish()
            return
    raise AssertionError("the pipeline did not settle")


def test_changed_findings_are_one_event_unchanged_none(client: Any, repo: str, pump: Pump) -> None:
    name = unique_name()
    image = python_image(name)
    events = scan_events_queue(repo)
    push(client, repo, image, "1.0")
    scan(client, repo, "1.0")  # the first scan: no findings yet, still news
    settle(pump)
    (first,) = pump.queued(events)
    assert first["detail"]["image-digest"] == image.digest
    assert first["detail"]["finding-severity-counts"] == {}
    assert first["detail"]["image-tags"] == ["1.0"]  # a user trial found [] here

    set_scan_policy(client, repo, {"severity": "HIGH"})
    assert_ok(client.http.get(f"/v2/{repo}/manifests/1.0"), 200)
    critical = advisory(f"PYSEC-{name}-1", name, "CRITICAL")
    version = load(client, [critical], rescan=True)["version"]
    settle(pump)
    (changed,) = pump.queued(events)
    assert changed["detail-type"] == "Berth Image Scan"
    detail = changed["detail"]
    assert detail["action-type"] == "SCAN"
    assert (detail["repository-name"], detail["image-digest"]) == (repo, image.digest)
    assert detail["finding-severity-counts"] == {"CRITICAL": 1}
    assert detail["scan-status"] == "COMPLETE"
    assert (detail["image-tag"], detail["image-tags"]) == ("1.0", ["1.0"])
    stored = json.loads(client.http.get(f"/v2/{repo}/_berth/scan/1.0").body)
    assert stored["imageScanFindings"]["vulnerabilitySourceUpdatedAt"]
    assert [f["name"] for f in stored["imageScanFindings"]["findings"]] == [critical["id"]]
    # The verdict a pull is judged by moved with the rescan.
    assert critical["id"] in refusal(client.http.get(f"/v2/{repo}/manifests/1.0"))["message"]

    # The same advisory again: a new database version, a rescan, the same findings: silent.
    assert load(client, [critical], rescan=True)["version"] == version + 1
    settle(pump)
    assert pump.queued(events) == []


def test_a_walk_for_an_older_database_stops(client: Any, repo: str, pump: Pump) -> None:
    from chalicelib.scanner import rescan

    name = unique_name()
    push(client, repo, python_image(name), "1.0")
    version = load(client, [advisory(f"PYSEC-{name}-1", name, "LOW")], rescan=False)["version"]
    load(client, [advisory(f"PYSEC-{name}-2", name, "LOW")], rescan=False)
    assert rescan.run(rescan.walk_message(version)).ok
    assert pump.queued() == [], "superseded: nothing queued"
    assert rescan.superseded(rescan.scan_message(version, repo, "sha256:" + "0" * 64))
    assert not rescan.superseded(rescan.scan_message(version + 1, repo, "sha256:" + "0" * 64))


def test_the_walk_queues_images_not_artifacts(client: Any, repo: str, pump: Pump) -> None:
    from chalicelib.scanner import rescan
    from tests.api.helpers import artifact

    name = unique_name()
    image = python_image(name)
    push(client, repo, image, "1.0")
    push(client, repo, artifact(subject=image))
    push(client, repo, artifact(subject=None), "sbom")
    version = load(client, [advisory(f"PYSEC-{name}-1", name, "LOW")], rescan=False)["version"]
    after = None
    found: list[dict[str, Any]] = []
    while True:  # walk this repository alone, page by page
        assert rescan.run(rescan.walk_message(version, repo, after)).ok
        queued = pump.queued()
        found += [m for m in queued if m["type"] == "scan"]
        following = [m for m in queued if m["type"] == "rescan" and m["repository"] == repo]
        if not following:
            break
        after = following[0]["after"]
    assert [(m["repository"], m["digest"]) for m in found if m["repository"] == repo] == [
        (repo, image.digest)
    ]


def test_a_rescan_matches_the_stored_inventory_without_reading_layers(
    client: Any, repo: str, pump: Pump
) -> None:
    """An image's packages do not change with the advisories: the rescan reads its stored
    inventory (one report object), not its layers, and finds what a full scan finds."""
    from chalicelib.oci.digest import checked_digest
    from chalicelib.storage import scan_results
    from tests.api.helpers import index
    from tests.scanning.advisories import ALPINE_ADVISORIES, DEBIAN_ADVISORIES
    from tests.scanning.test_scan_api import alpine_image, debian_image, found

    def stored_report(digest: str) -> dict[str, Any]:
        stored = scan_results.get(checked_digest(digest))
        assert stored is not None
        report = scan_results.report(stored)
        assert report is not None
        return report

    debian, alpine = debian_image(), alpine_image()
    push(client, repo, debian)
    push(client, repo, alpine)
    multi = index([debian, alpine])
    push(client, repo, multi, "multi")
    scan(client, repo, "multi")  # reads every layer (other tests may have loaded advisories)
    assert stored_report(multi.digest)["bytesRead"] > 0

    # A rescan that finds what the last scan found keeps its report (test_rescan_affected.py);
    # other tests may have loaded these advisories already, so one of them comes again under
    # an id no other test uses: the findings change and the rescan stores a new report.
    fresh = {**DEBIAN_ADVISORIES[0], "id": f"DEBIAN-TEST-{uuid.uuid4().hex[:12]}"}
    load(client, [*DEBIAN_ADVISORIES, *ALPINE_ADVISORIES, fresh], rescan=True)
    settle(pump)
    report = stored_report(multi.digest)
    assert report["inventoryReused"] is True
    assert report["bytesRead"] == 0
    rescanned = found(json.loads(client.http.get(f"/v2/{repo}/_berth/scan/multi").body))
    # The same findings a scan that reads every layer gives (on demand, it does).
    full = scan(client, repo, "multi")
    assert stored_report(multi.digest)["inventoryReused"] is False
    assert rescanned == found(full) != []
    assert {"ALPINE-CVE-2024-0728", "DEBIAN-CVE-2023-45853"} <= {f[0] for f in rescanned}
