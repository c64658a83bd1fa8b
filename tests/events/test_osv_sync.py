"""The OSV sync on moto: a source bucket holding hand-made `all.zip` exports is copied into the
registry's bucket and indexed; a second run with the same ETags copies nothing and rescans
nothing; a changed export is indexed again (new keys written, keys gone deleted) and every
stored image is rescanned, through the same queue as scan on push."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest

from tests.api.helpers import assert_ok, push
from tests.events.conftest import Pump
from tests.events.test_rescan import settle
from tests.scanning.test_scan_api import scan
from tests.scanning.unique_package import advisory, python_image, unique_name

SOURCE = "osv-vulnerabilities"  # the default's name, as a bucket on moto's S3


def export(records: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
        archive.writestr("broken.json", "{not json")
    return buffer.getvalue()


@pytest.fixture
def source(aws: dict[str, str]) -> Any:
    s3 = boto3.client("s3")
    try:
        s3.create_bucket(Bucket=SOURCE)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    return s3


def run_sync(client: Any, ecosystems: list[str]) -> dict[str, Any]:
    body = {"sourceBucket": SOURCE, "source": "s3", "ecosystems": ecosystems}
    response = client.http.post(
        "/v2/_berth/vulndb/sync",
        headers={"content-type": "application/json"},
        body=json.dumps(body).encode(),
    )
    assert_ok(response, 200)
    report: dict[str, Any] = json.loads(response.body)
    return report


def findings(client: Any, repo: str) -> list[str]:
    document = json.loads(client.http.get(f"/v2/{repo}/_berth/scan/1.0").body)
    return sorted(f["name"] for f in document["imageScanFindings"]["findings"])


def test_copy_when_the_etag_changed_then_rescan(
    client: Any, repo: str, pump: Pump, source: Any, aws: dict[str, str]
) -> None:
    from chalicelib.scanning.advisory_index import index_key
    from chalicelib.storage import vulndb

    # An ecosystem name of this test's own: the sync owns its ecosystems' index keys.
    name, gone = unique_name(), unique_name()
    image = python_image(name)
    push(client, repo, image, "1.0")
    scan(client, repo, "1.0")
    settle(pump)
    assert findings(client, repo) == []

    first = [advisory(f"PYSEC-{name}-1", name, "HIGH"), advisory(f"PYSEC-{gone}", gone, "LOW")]
    first_zip = export(first)  # built once: a zip records the time it was written
    source.put_object(Bucket=SOURCE, Key="PyPI/all.zip", Body=first_zip)
    version = vulndb.version()
    report = run_sync(client, ["PyPI", "NoSuchEcosystem"])
    assert report["copied"] == ["PyPI"] and report["missing"] == ["NoSuchEcosystem"]
    assert report["indexKeysWritten"] >= 2
    assert report["problems"] == ["PyPI: unreadable record broken.json"]
    assert report["version"] == version + 1 and report["rescan"] is True
    bucket = aws["BucketName"]
    copied = source.get_object(Bucket=bucket, Key="vulndb/exports/PyPI/all.zip")["Body"].read()
    assert copied == first_zip
    assert [a["id"] for a in vulndb.advisories_for(index_key("PyPI", gone))] == [f"PYSEC-{gone}"]
    settle(pump)
    assert findings(client, repo) == [f"PYSEC-{name}-1"]

    # Same ETag: nothing copied, nothing indexed, no new version, no rescan queued.
    again = run_sync(client, ["PyPI"])
    assert again["copied"] == [] and again["unchanged"] == ["PyPI"]
    assert (again["indexKeysWritten"], again["version"], again["rescan"]) == (0, None, False)
    assert vulndb.version() == version + 1
    assert pump.queued() == []

    # A changed export: the new advisory is indexed, the package no longer in it is dropped,
    # and the image is rescanned against it.
    second = [
        advisory(f"PYSEC-{name}-1", name, "HIGH"),
        advisory(f"PYSEC-{name}-2", name, "CRITICAL"),
    ]
    source.put_object(Bucket=SOURCE, Key="PyPI/all.zip", Body=export(second))
    changed = run_sync(client, ["PyPI"])
    assert changed["copied"] == ["PyPI"]
    assert changed["indexKeysWritten"] == 1 and changed["indexKeysDeleted"] == 1
    assert changed["version"] == version + 2 and changed["rescan"] is True
    assert vulndb.advisories_for(index_key("PyPI", gone)) == []
    settle(pump)
    assert findings(client, repo) == [f"PYSEC-{name}-1", f"PYSEC-{name}-2"]


def test_sources_are_names_never_urls(client: Any) -> None:
    for body in (
        {"sourceBucket": "http://169.254.169.254/latest", "source": "s3"},
        {"sourceBucket": "fine", "source": "https://example.com"},
        {"sourceBucket": "fine", "source": "s3", "ecosystems": ["../x/y"]},
        {"ecosystems": "PyPI"},
    ):
        response = client.http.post(
            "/v2/_berth/vulndb/sync",
            headers={"content-type": "application/json"},
            body=json.dumps(body).encode(),
        )
        assert_ok(response, 400)


def test_a_rescan_owed_by_a_failed_run_is_queued_by_the_next(
    client: Any, pump: Pump, source: Any
) -> None:
    from chalicelib.scanner import osv_sync

    name = unique_name()
    records = [advisory(f"PYSEC-{name}", name, "LOW")]
    source.put_object(Bucket=SOURCE, Key="npm/all.zip", Body=export(records))
    chosen = osv_sync.source(SOURCE, "s3", ("npm",))
    # As if the function stopped after indexing, before queueing the rescan.
    died = osv_sync.sync(chosen, start_rescan=False)
    assert died.copied == ["npm"] and not died.rescan
    pump.queued()
    report = run_sync(client, ["npm"])
    assert report["copied"] == [] and report["unchanged"] == ["npm"]
    assert report["rescan"] is True
    assert [m["type"] for m in pump.queued()] == ["rescan"]
    assert run_sync(client, ["npm"])["rescan"] is False  # owed once, queued once
