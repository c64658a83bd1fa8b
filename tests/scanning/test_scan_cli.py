"""`berth vulndb import|status` and `berth scan` against the in-process app: an OSV zip and a
directory load, and the findings print as a table, JSON and SARIF."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from berth import cli
from berth.client.berth_api import RegistryClient, Reply
from berth.commands import common, scanning
from tests.api.helpers import push
from tests.scanning.advisories import DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
from tests.scanning.scan_queue import queued_scans, run_queued_scans
from tests.scanning.test_scan_api import debian_image


@pytest.fixture
def berth(client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        response = client.http.request(method, path, headers=headers, body=body or b"")
        out = {k.lower(): str(v) for k, v in (response.headers or {}).items()}
        return Reply(response.status_code, out, response.body or b"")

    monkeypatch.setattr(common, "client_for", lambda _args: RegistryClient(send))
    # While the CLI waits for a queued scan, the scan function runs (Lambda's, in AWS).
    monkeypatch.setattr(scanning, "_sleep", lambda _seconds: run_queued_scans())

    def run(*argv: str) -> tuple[int, str, str]:
        status = cli.main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_import_then_scan(berth: Any, client: Any, repo: str, tmp_path: Path) -> None:
    export = tmp_path / "all.zip"
    with zipfile.ZipFile(export, "w") as archive:
        for advisory in DEBIAN_ADVISORIES:
            archive.writestr(f"{advisory['id']}.json", json.dumps(advisory))
    directory = tmp_path / "pypi"
    (directory / "nested").mkdir(parents=True)
    for advisory in LANGUAGE_ADVISORIES:
        (directory / "nested" / f"{advisory['id']}.json").write_text(json.dumps(advisory))

    status, out, err = berth("vulndb", "import", str(export), str(directory))
    assert status == 0, err
    assert out.startswith(f"imported {len(DEBIAN_ADVISORIES) + len(LANGUAGE_ADVISORIES)} ")
    status, out, _ = berth("vulndb", "status")
    assert status == 0 and "advisories, updated" in out

    pushed = debian_image()
    push(client, repo, pushed, "1.0")
    # Never scanned: the scan is queued for the scanner and waited for.
    status, out, err = berth("scan", f"{repo}:1.0")
    assert status == 0
    assert "is queued for the registry's scanner; waiting up to 600 s" in err
    lines = out.splitlines()
    assert lines[0] == (
        f"{repo}:1.0 (Debian GNU/Linux 12 (bookworm), 7 packages): 7 findings: "
        "1 CRITICAL, 2 HIGH, 1 MEDIUM, 3 UNKNOWN"
    )
    database = json.loads(client.http.get("/v2/_berth/vulndb").body)
    assert lines[1].startswith("scanned 20") and lines[1].endswith(
        f" against the advisory database of {database['updatedAt']} (version {database['version']})"
    )
    assert lines[2].split() == ["SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED"]
    assert lines[3].split() == [
        "CRITICAL",
        "DEBIAN-CVE-2023-45853",
        "zlib1g",
        "1:1.2.13.dfsg-1",
        "1:1.2.13.dfsg-3",
    ]

    status, out, _ = berth("scan", f"{repo}@{pushed.digest}", "--stored", "--format", "json")
    assert status == 0
    assert json.loads(out)["imageId"]["imageDigest"] == pushed.digest

    status, out, _ = berth("scan", f"{repo}:1.0", "--format", "sarif")
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert len(run["results"]) == 7
    critical = next(r for r in run["results"] if r["ruleId"] == "DEBIAN-CVE-2023-45853")
    assert critical["level"] == "error"
    assert critical["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "var/lib/dpkg/status"
    )


def test_scan_of_an_amazon_linux_image_says_what_is_not_covered(
    berth: Any, client: Any, repo: str
) -> None:
    from tests.scanning.layers import layer
    from tests.scanning.rpmdb import header_blob, rpmdb_bdb
    from tests.scanning.test_rpm_databases import AMAZON_2, AMAZON_PACKAGES
    from tests.scanning.test_scan_api import OCI_LAYER_GZIP, image_of

    database = rpmdb_bdb([header_blob(p) for p in AMAZON_PACKAGES])
    files = [("etc/os-release", AMAZON_2), ("var/lib/rpm/Packages", database)]
    push(client, repo, image_of([(OCI_LAYER_GZIP, layer(files))]), "al2")
    status, out, _ = berth("scan", f"{repo}:al2")
    assert status == 0
    assert out.splitlines()[2] == (
        "not covered: no advisory source for the 2 rpm packages of Amazon Linux 2 "
        "(inventoried, not matched)"
    )


def test_scan_of_an_unknown_image_says_not_found(berth: Any, repo: str) -> None:
    status, _, err = berth("scan", f"{repo}:nope")
    assert status == common.EXIT_NOT_FOUND
    assert "MANIFEST_UNKNOWN" in err


def test_import_of_a_file_that_is_not_osv(berth: Any, tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    status, _, err = berth("vulndb", "import", str(bad))
    assert status == common.EXIT_ERROR and "not an OSV record" in err


def test_scan_shows_the_stored_scan_and_rescan_asks_for_a_fresh_one(
    berth: Any, client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.scanning.unique_package import python_image, unique_name

    pushed = python_image(unique_name())  # a layer no other test's scan has read
    push(client, repo, pushed, "1.0")
    status, out, _ = berth("scan", f"{repo}:1.0", "--format", "json")
    first = json.loads(out)
    assert status == 0 and first["scannedAt"]
    # What the scan read from S3 (the layers no scan had read before) is in the JSON.
    read = first["read"]
    assert read["layerBytesRead"] == read["bytesRead"] > 0
    assert read["layersRead"] + read["layersReused"] == 1

    # Stored: shown at once, no scan queued, nothing said about waiting.
    status, out, err = berth("scan", f"{repo}:1.0", "--format", "json")
    assert status == 0 and err == ""
    assert json.loads(out)["scannedAt"] == first["scannedAt"]
    assert queued_scans() == []

    # --rescan: a fresh scan by the scanner (its layer now comes from the stored changes).
    status, out, err = berth("scan", f"{repo}@{pushed.digest}", "--rescan", "--format", "json")
    again = json.loads(out)
    assert status == 0 and "waiting up to" in err
    assert again["scannedAt"] > first["scannedAt"]
    assert again["read"]["layerBytesRead"] == 0 and again["read"]["layersReused"] == 1

    # No scanner running: the CLI gives up after its timeout and says so.
    monkeypatch.setattr(scanning, "_sleep", lambda _seconds: None)
    status, _, err = berth("scan", f"{repo}:1.0", "--rescan", "--timeout", "0")
    assert status == common.EXIT_ERROR
    assert "no result within 0 s; the scan is still queued" in err
    assert [m["digest"] for m in queued_scans()] == [pushed.digest]


def test_stored_never_queues_a_scan(berth: Any, client: Any, repo: str) -> None:
    push(client, repo, debian_image(), "1.0")
    status, out, err = berth("scan", f"{repo}:1.0", "--stored")
    assert status == common.EXIT_ERROR and err == ""
    assert out.startswith(f"{repo}:1.0: NOT_SCANNED")
    assert queued_scans() == []
