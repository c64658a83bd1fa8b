"""`berth gc [--dry-run]` through `POST /v2/_berth/gc`, against the in-process app."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib.api import gc as gc_api
from chalicelib.config import settings
from chalicelib.gc.collect import collect
from chalicelib.oci.digest import compute
from chalicelib.storage import blobs
from chalicelib.storage.clock import now as clock_now
from tests.api.helpers import random_bytes
from tests.cli.test_admin_commands import berth  # noqa: F401  (the fixture)
from tests.gc.test_gc import exists, later


def test_gc_dry_run_then_for_real(
    berth: Any,  # noqa: F811
    s3: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An explicit clock: both dry runs collect as of `moment`, just before the write, so the
    # blob is inside the grace period whatever else older the bucket holds; only it changed.
    moment = clock_now()
    monkeypatch.setattr(gc_api, "collect", functools.partial(collect, now=moment))
    # The request's time budget is wall clock: on a loaded machine the run stopped early and
    # said so (complete: false). What this test checks is the CLI, not the budget.
    monkeypatch.setattr(gc_api, "REQUEST_BUDGET", 3600.0)
    status, before, _ = berth(capsys, "gc", "--dry-run")
    assert status == 0 and before.splitlines()[0].startswith("blobs: would delete ")
    data = random_bytes(2048)
    digest = compute(data, "sha256")
    blobs.put_bytes(digest, data)  # a push that crashed before its link
    key = blobs.blob_key(digest)
    status, out, _ = berth(capsys, "gc", "--dry-run")
    assert status == 0
    assert out.splitlines()[0] == before.splitlines()[0], "inside the grace period"
    monkeypatch.setattr(gc_api, "collect", functools.partial(collect, now=later()))
    status, out, _ = berth(capsys, "gc", "--dry-run")
    assert status == 0 and "would delete" in out
    assert exists(s3, key)
    status, out, _ = berth(capsys, "gc", "--json")
    assert status == 0
    report = json.loads(out)
    assert report["dryRun"] is False and report["complete"] is True
    assert report["blobs"]["deleted"] >= 1 and report["blobs"]["bytes"] >= 2048
    assert not exists(s3, key)
    assert "Contents" not in s3.list_objects_v2(Bucket=settings().bucket, Prefix=key)


def test_gc_endpoint_is_post_only(client: Any) -> None:
    response = client.http.get("/v2/_berth/gc")
    assert response.status_code == 405


def test_the_hourly_schedule_runs_a_collection(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    with caplog.at_level("INFO", logger="berth"):
        client.lambda_.invoke("collect_garbage", event)
    (record,) = [r for r in caplog.records if r.getMessage() == "garbage collection"]
    assert record.fields["gc"]["dryRun"] is False  # type: ignore[attr-defined]


def test_gc_says_what_waits_in_the_grace_period(
    berth: Any,  # noqa: F811
    s3: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`deleted 0` right after a lifecycle run or a delete is not the whole story: the run
    names what is unreferenced but younger than the grace period, and when it is collectable
    (issue 18 §4)."""
    from datetime import timedelta

    moment = clock_now()
    monkeypatch.setattr(gc_api, "collect", functools.partial(collect, now=moment))
    # The request's time budget is wall clock: on a loaded machine the run stopped early and
    # said so (complete: false). What this test checks is the CLI, not the budget.
    monkeypatch.setattr(gc_api, "REQUEST_BUDGET", 3600.0)
    data = random_bytes(4096)
    digest = compute(data, "sha256")
    blobs.put_bytes(digest, data)  # unreferenced, and younger than the grace period
    written = s3.head_object(Bucket=settings().bucket, Key=blobs.blob_key(digest))["LastModified"]
    status, out, _ = berth(capsys, "gc", "--dry-run", "--json")
    waiting = json.loads(out)["waiting"]
    assert status == 0 and waiting["objects"] >= 1 and waiting["bytes"] >= 4096
    assert waiting["graceSeconds"] == 3600
    collectable = datetime.fromisoformat(waiting["collectableAt"].replace("Z", "+00:00"))
    assert moment - timedelta(seconds=1) <= collectable <= written + timedelta(hours=1)
    status, out, _ = berth(capsys, "gc", "--dry-run")
    (line,) = [line for line in out.splitlines() if line.startswith("waiting: ")]
    assert "younger than the 1 h grace period" in line
    assert f"collectable at {waiting['collectableAt']}" in line
    assert exists(s3, blobs.blob_key(digest))
