"""Scanning with real clients: skopeo pushes an image whose packages come from a BerkeleyDB rpm
database (RHEL 8), a Go binary, a Spring Boot jar and a Rust binary built with cargo-auditable;
`berth vulndb import` loads the fixture advisories and `berth scan` finds exactly the expected
advisories, each against the file that holds its package."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.e2e.images import write_image_of_layers
from tests.e2e.support import Registry, run, skopeo_push
from tests.scanning.advisories import (
    CARGO_ADVISORIES,
    GO_ADVISORIES,
    MAVEN_ADVISORIES,
    RPM_ADVISORIES,
)
from tests.scanning.binaries import cargo_dep_v0, elf
from tests.scanning.layers import layer
from tests.scanning.rpmdb import RpmFields, header_blob, rpmdb_bdb
from tests.scanning.test_binaries import CARGO, go_binary, spring_boot_jar

pytestmark = pytest.mark.e2e

RHEL_8 = b'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.9"\n'


def berth(registry: Registry, *args: str) -> str:
    return run([sys.executable, "-m", "berth.cli", *args, "--registry", registry.host]).stdout


def test_scan_of_a_pushed_image_with_binaries_archives_and_an_old_rpmdb(
    registry: Registry, repository: str, scratch: Path
) -> None:
    openssl = RpmFields(
        "openssl-libs", "1.1.1k", "9.el8_7", epoch=1, source_rpm="openssl-1.1.1k-9.el8_7.src.rpm"
    )
    layers = [
        layer(
            [
                ("etc/os-release", RHEL_8),
                ("var/lib/rpm/Packages", rpmdb_bdb([header_blob(openssl)])),
            ]
        ),
        layer(
            [("usr/local/bin/app", go_binary()), ("srv/shop.jar", spring_boot_jar())],
            executables=frozenset({"usr/local/bin/app"}),
        ),
        layer(
            [("usr/bin/server", elf({".dep-v0": cargo_dep_v0(CARGO)}))],
            executables=frozenset({"usr/bin/server"}),
        ),
    ]
    write_image_of_layers(scratch / "layout", "1.0", layers)
    skopeo_push(f"oci:{scratch / 'layout'}:1.0", registry.docker(repository, "1.0"))

    advisories = scratch / "advisories"
    advisories.mkdir()
    for advisory in RPM_ADVISORIES + GO_ADVISORIES + MAVEN_ADVISORIES + CARGO_ADVISORIES:
        (advisories / f"{advisory['id'].replace(':', '_')}.json").write_text(json.dumps(advisory))
    berth(registry, "vulndb", "import", str(advisories))

    # --rescan: a scan on push may have run before the import; wait for the scanner's new one.
    report = json.loads(
        berth(registry, "scan", f"{repository}:1.0", "--rescan", "--format", "json")
    )
    findings = report["imageScanFindings"]["findings"]
    where = {
        finding["name"]: next(a["value"] for a in finding["attributes"] if a["key"] == "path")
        for finding in findings
    }
    assert where == {
        "RHSA-2023:7877": "var/lib/rpm/Packages",
        "GO-2023-2102": "usr/local/bin/app",
        "GO-2024-2963": "usr/local/bin/app",
        "GO-2023-1699": "usr/local/bin/app",
        "GHSA-jfh8-c2jp-5v3q": "srv/shop.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
        "GHSA-57j2-w4cx-62h2": "srv/shop.jar!/BOOT-INF/lib/jackson-all-2.13.2.jar",
        "GHSA-mjmj-j48q-9wg2": "srv/shop.jar!/BOOT-INF/lib/jackson-all-2.13.2.jar",
        "RUSTSEC-2021-0003": "usr/bin/server",
    }
    assert len(findings) == len(where)
