"""The fixture advisories (tests/scanning/advisories.py) give exactly the expected findings
for images whose packages come from the older rpm databases and from inside files: RHEL 8
(BerkeleyDB), SUSE (NDB), Amazon Linux 2 (no OSV ecosystem: counted, not matched), a Go binary,
a Spring Boot jar and a Rust binary built with cargo-auditable."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.scanning.advisory_index import index_advisories
from chalicelib.scanning.inventory import Inventory, inventory_of_layers
from chalicelib.scanning.matching import MatchResult, match_inventory
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.package_ecosystem import covers, ecosystem_of
from tests.scanning.advisories import (
    CARGO_ADVISORIES,
    GO_ADVISORIES,
    MAVEN_ADVISORIES,
    RPM_ADVISORIES,
    osv,
)
from tests.scanning.binaries import cargo_dep_v0, elf
from tests.scanning.layers import layer, stream
from tests.scanning.rpmdb import RpmFields, header_blob, rpmdb_bdb, rpmdb_ndb, rpmdb_sqlite
from tests.scanning.test_binaries import CARGO, go_binary, spring_boot_jar
from tests.scanning.test_rpm_databases import AMAZON_2, AMAZON_PACKAGES, SLES_15

ALL = RPM_ADVISORIES + GO_ADVISORIES + MAVEN_ADVISORIES + CARGO_ADVISORIES
RHEL_8 = b'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.9"\n'
SLES_PRETTY = SLES_15 + b'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\n'


def scan(*layers: bytes) -> tuple[Inventory, MatchResult]:
    index = index_advisories(ALL)

    def lookup(key: str) -> list[dict[str, Any]]:
        return index.get(key, [])

    inventory = inventory_of_layers(stream(data) for data in layers)
    return inventory, match_inventory(inventory, lookup)


def found(result: MatchResult) -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (f.id, f.package, f.installed_version, f.severity, f.fixed_version) for f in result.findings
    )


def test_rhel_8_berkeley_db_image() -> None:
    openssl = RpmFields(
        "openssl-libs", "1.1.1k", "9.el8_7", epoch=1, source_rpm="openssl-1.1.1k-9.el8_7.src.rpm"
    )
    database = rpmdb_bdb([header_blob(openssl)])
    _, result = scan(layer([("etc/os-release", RHEL_8), ("var/lib/rpm/Packages", database)]))
    assert result.problems == []
    assert found(result) == [
        ("RHSA-2023:7877", "openssl-libs", "1:1.1.1k-9.el8_7", "LOW", "1:1.1.1k-12.el8_9")
    ]


def test_suse_ndb_image() -> None:
    libopenssl = RpmFields(
        "libopenssl3",
        "3.0.8",
        "150500.5.14.1",
        source_rpm="openssl-3-3.0.8-150500.5.14.1.src.rpm",
    )
    database = rpmdb_ndb([header_blob(libopenssl)])
    _, result = scan(
        layer([("etc/os-release", SLES_PRETTY), ("usr/lib/sysimage/rpm/Packages.db", database)])
    )
    assert found(result) == [
        (
            "SUSE-SU-2024:0001-1",
            "libopenssl3",
            "3.0.8-150500.5.14.1",
            "HIGH",
            "3.0.8-150500.5.20.1",
        )
    ]


def test_amazon_linux_packages_are_counted_not_matched() -> None:
    database = rpmdb_bdb([header_blob(p) for p in AMAZON_PACKAGES])
    inventory, result = scan(
        layer([("etc/os-release", AMAZON_2), ("var/lib/rpm/Packages", database)])
    )
    assert len(inventory.packages) == 2
    assert result.findings == [] and result.unmatched_packages == 2


def test_go_java_and_rust_packages() -> None:
    rust = elf({".dep-v0": cargo_dep_v0(CARGO)})
    _, result = scan(
        layer(
            [
                ("usr/local/bin/app", go_binary()),
                ("srv/shop.jar", spring_boot_jar()),
                ("usr/bin/server", rust),
            ],
            executables=frozenset({"usr/local/bin/app", "usr/bin/server"}),
        )
    )
    assert result.problems == []
    assert found(result) == [
        (
            "GHSA-57j2-w4cx-62h2",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.13.2",
            "UNKNOWN",
            "2.13.2.1",
        ),
        (
            "GHSA-jfh8-c2jp-5v3q",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "CRITICAL",
            "2.15.0",
        ),
        ("GHSA-mjmj-j48q-9wg2", "org.yaml:snakeyaml", "1.30", "UNKNOWN", "2.0"),
        ("GO-2023-1699", "github.com/docker/docker", "v20.10.24+incompatible", "UNKNOWN", ""),
        (
            "GO-2023-2102",
            "golang.org/x/net",
            "v0.0.0-20220722155237-a158d28d115b",
            "HIGH",
            "0.17.0",
        ),
        ("GO-2024-2963", "stdlib", "v1.21.5", "UNKNOWN", "1.21.6"),
        ("RUSTSEC-2021-0003", "smallvec", "1.6.0", "UNKNOWN", "1.6.1"),
    ]
    log4j = next(f for f in result.findings if f.id == "GHSA-jfh8-c2jp-5v3q")
    assert log4j.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    assert log4j.path == "srv/shop.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar"


@pytest.mark.parametrize(
    ("os", "kind", "ecosystem"),
    [
        (OsRelease("rhel", "8.9"), "rpm", "Red Hat:8"),
        (OsRelease("rocky", "9.3"), "rpm", "Rocky Linux:9"),
        (OsRelease("almalinux", "8.8"), "rpm", "AlmaLinux:8"),
        (OsRelease("mageia", "9"), "rpm", "Mageia:9"),
        (OsRelease("photon", "5.0"), "rpm", "Photon OS:5.0"),
        (
            OsRelease("sles", "15.5", "SUSE Linux Enterprise Server 15 SP5"),
            "rpm",
            "SUSE:SUSE Linux Enterprise Server 15 SP5",
        ),
        (
            OsRelease("opensuse-leap", "15.5", "openSUSE Leap 15.5"),
            "rpm",
            "openSUSE:openSUSE Leap 15.5",
        ),
        (
            OsRelease("opensuse-tumbleweed", "20240101", "openSUSE Tumbleweed"),
            "rpm",
            "openSUSE:openSUSE Tumbleweed",
        ),
        (OsRelease("wolfi", "20230201"), "apk", "Wolfi"),
        (OsRelease("chainguard", "20230214"), "apk", "Chainguard"),
        (
            OsRelease("openeuler", "22.03", "openEuler 22.03 (LTS-SP3)"),
            "rpm",
            "openEuler:22.03-LTS-SP3",
        ),
        (OsRelease("openeuler", "24.03", "openEuler 24.03 (LTS)"), "rpm", "openEuler:24.03-LTS"),
        (OsRelease("openeuler", "23.09", "openEuler 23.09"), "rpm", None),  # innovation
        (OsRelease("amzn", "2"), "rpm", None),
        (OsRelease("amzn", "2023"), "rpm", None),
        (OsRelease("centos", "7"), "rpm", None),
        (OsRelease("fedora", "39"), "rpm", None),
    ],
)
def test_os_release_to_osv_ecosystem(os: OsRelease, kind: str, ecosystem: str | None) -> None:
    from chalicelib.scanner.osv_sync import DEFAULT_ECOSYSTEMS
    from chalicelib.scanning.versions.ecosystems import base_ecosystem

    package = Package(kind=kind, name="x", version="1", purl="pkg:x/x@1", path="p")
    assert ecosystem_of(package, os) == ecosystem
    if ecosystem is not None:  # the sync's default fetches every ecosystem the scanner matches
        assert base_ecosystem(ecosystem) in DEFAULT_ECOSYSTEMS


def test_suse_scopes() -> None:
    package = "SUSE:SUSE Linux Enterprise Server 15 SP5"
    assert covers("SUSE:Linux Enterprise Server 15 SP5", package)
    assert covers("SUSE", package)
    assert not covers("SUSE:Linux Enterprise Server 15 SP4", package)
    assert not covers("SUSE:Linux Enterprise Module for Basesystem 15 SP5", package)
    assert covers("openSUSE:openSUSE Leap 15.5", "openSUSE:openSUSE Leap 15.5")
    assert not covers("openSUSE:openSUSE Leap 15.4", "openSUSE:openSUSE Leap 15.5")


OPENEULER = (
    b'NAME="openEuler"\nVERSION="22.03 (LTS-SP3)"\nID="openEuler"\nVERSION_ID="22.03"\n'
    b'PRETTY_NAME="openEuler 22.03 (LTS-SP3)"\nANSI_COLOR="0;31"\n'
)


def test_openeuler_sqlite_image_matches_its_lts_service_pack_only() -> None:
    """openEuler's records name the source RPM, scoped to an LTS release and service pack."""
    openssl = RpmFields(
        "openssl-libs",
        "1.1.1m",
        "22.oe2203sp3",
        epoch=1,
        source_rpm="openssl-1.1.1m-22.oe2203sp3.src.rpm",
    )
    database = rpmdb_sqlite([openssl])
    advisories = [
        osv(
            "OESA-2024-1001",
            "openEuler:22.03-LTS-SP3",
            "openssl",
            [{"introduced": "0"}, {"fixed": "1:1.1.1m-25.oe2203sp3"}],
            affected_extra={"ecosystem_specific": {"severity": "High"}},
        ),
        osv(
            "OESA-2024-1002",
            "openEuler:22.03-LTS-SP2",
            "openssl",
            [{"introduced": "0"}, {"fixed": "1:1.1.1m-30.oe2203sp2"}],
        ),
    ]
    index = index_advisories(advisories)
    inventory = inventory_of_layers(
        [stream(layer([("etc/os-release", OPENEULER), ("var/lib/rpm/rpmdb.sqlite", database)]))]
    )
    result = match_inventory(inventory, lambda key: index.get(key, []))
    assert inventory.problems == result.problems == []
    assert [(f.id, f.package, f.installed_version, f.fixed_version) for f in result.findings] == [
        ("OESA-2024-1001", "openssl-libs", "1:1.1.1m-22.oe2203sp3", "1:1.1.1m-25.oe2203sp3")
    ]
    assert result.findings[0].ecosystem == "openEuler:22.03-LTS-SP3"
