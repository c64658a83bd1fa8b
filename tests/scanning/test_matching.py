"""Matching (chalicelib/scanning/matching.py and osv_ranges.py): the fixture advisories give
exactly the expected findings for real test images, and OSV's evaluation rules hold one by one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from chalicelib.scanning.advisory_index import index_advisories, index_key
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.inventory import Inventory, inventory_of_layers
from chalicelib.scanning.matching import MatchResult, match_inventory
from chalicelib.scanning.osv_ranges import in_range, is_affected
from chalicelib.scanning.versions import dpkg, pep440
from tests.scanning.advisories import (
    ALPINE_ADVISORIES,
    DEBIAN_ADVISORIES,
    DEBIAN_STATUS,
    LANGUAGE_ADVISORIES,
)
from tests.scanning.layers import layer, stream
from tests.scanning.test_inventory import ALPINE_OS, APK_INSTALLED, DEBIAN_OS
from tests.scanning.test_versions import dpkg_versions

SITE = "usr/lib/python3/dist-packages"


def debian_image() -> Inventory:
    return inventory_of_layers(
        [
            stream(layer([("etc/os-release", DEBIAN_OS), ("var/lib/dpkg/status", DEBIAN_STATUS)])),
            stream(
                layer(
                    [
                        (
                            f"{SITE}/Jinja2-3.1.2.dist-info/METADATA",
                            b"Name: Jinja2\nVersion: 3.1.2\n",
                        ),
                        (
                            "srv/app/node_modules/lodash/package.json",
                            b'{"name": "lodash", "version": "4.17.20"}',
                        ),
                    ],
                    "zstd",
                )
            ),
        ]
    )


def scan(inventory: Inventory, advisories: list[dict[str, Any]]) -> tuple[MatchResult, list[str]]:
    index = index_advisories(advisories)
    looked_up: list[str] = []

    def lookup(key: str) -> list[dict[str, Any]]:
        looked_up.append(key)
        return index.get(key, [])

    return match_inventory(inventory, lookup), looked_up


def test_debian_image_gets_exactly_the_expected_findings() -> None:
    result, looked_up = scan(debian_image(), DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    assert result.problems == []
    assert sorted(
        (f.id, f.package, f.installed_version, f.severity, f.fixed_version) for f in result.findings
    ) == [
        ("DEBIAN-CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-1", "CRITICAL", "1:1.2.13.dfsg-3"),
        ("DEBIAN-CVE-2023-6246", "libc6", "2.36-9+deb12u3", "HIGH", ""),
        ("DSA-5585-1", "libssl3", "3.0.11-1~deb12u2", "UNKNOWN", "3.0.13-1~deb12u1"),
        ("DSA-5585-1", "openssl", "3.0.11-1~deb12u2", "UNKNOWN", "3.0.13-1~deb12u1"),
        ("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.20", "HIGH", "4.17.21"),
        ("GHSA-h5c8-rqwp-cp95", "jinja2", "3.1.2", "MEDIUM", "3.1.3"),
        ("PYSEC-2023-0001", "jinja2", "3.1.2", "UNKNOWN", ""),
    ]
    # Worst first, as a person reads them.
    assert result.findings[0].severity == "CRITICAL"
    jinja = next(f for f in result.findings if f.id == "GHSA-h5c8-rqwp-cp95")
    assert jinja.cvss_score == 4.3
    assert jinja.aliases == ("CVE-2024-22195",)
    assert jinja.links == ("https://example.test/GHSA-h5c8-rqwp-cp95",)
    assert jinja.purl == "pkg:pypi/jinja2@3.1.2"
    # One lookup per distinct source package, never the whole database.
    assert len(looked_up) == len(set(looked_up)) == 6


def test_alpine_git_versions_and_release_scoping() -> None:
    inventory = inventory_of_layers(
        [stream(layer([("etc/os-release", ALPINE_OS), ("lib/apk/db/installed", APK_INSTALLED)]))]
    )
    result, _ = scan(inventory, ALPINE_ADVISORIES)
    assert sorted((f.id, f.package, f.fixed_version) for f in result.findings) == [
        ("ALPINE-CVE-2023-0001", "musl", "1.2.4_git20230717-r5"),
        ("ALPINE-CVE-2024-0728", "libcrypto3", "3.1.4-r6"),
    ]


def test_packages_of_an_unknown_os_are_counted_not_matched() -> None:
    inventory = inventory_of_layers([stream(layer([("var/lib/dpkg/status", DEBIAN_STATUS)]))])
    result, looked_up = scan(inventory, DEBIAN_ADVISORIES)
    assert result.findings == [] and looked_up == []
    assert result.unmatched_packages == 5


def test_index_keeps_only_what_matching_needs() -> None:
    index = index_advisories(DEBIAN_ADVISORIES)
    stored = index[index_key("Debian:12", "openssl")]
    assert [a["id"] for a in stored] == ["DSA-5585-1"]
    assert "details" not in stored[0]
    assert index_key("Debian:12", "curl") == index_key("Debian:11", "curl")
    assert all(a["id"] != "DSA-0000-1" for entries in index.values() for a in entries)
    assert index_key("PyPI", "Jinja2") == index_key("PyPI", "jinja2")


def events(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{kind: value} for kind, value in pairs]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", False),
        ("1.0", True),
        ("1.5", True),
        ("2.0", False),
        ("3.0", True),
        ("3.2", True),
        ("3.3", False),
        ("9.0", False),
    ],
)
def test_events_in_any_order_follow_the_sorted_evaluation(version: str, expected: bool) -> None:
    # Two affected spans, [1.0, 2.0) and [3.0, 3.2], given out of order.
    evts = events(
        ("last_affected", "3.2"), ("introduced", "3.0"), ("fixed", "2.0"), ("introduced", "1.0")
    )
    assert in_range(dpkg.key(version), evts, dpkg.key) is expected


def test_limits_bound_a_range() -> None:
    evts = events(("introduced", "0"), ("limit", "2.0"))
    assert in_range(pep440.key("1.9"), evts, pep440.key)
    assert not in_range(pep440.key("2.0"), evts, pep440.key)
    star = events(("introduced", "1.0"), ("limit", "*"))
    assert in_range(pep440.key("99"), star, pep440.key)


def test_unknown_ranges_and_versions() -> None:
    git_only = {"ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}]}
    assert not is_affected("1.0", "PyPI", git_only)
    with pytest.raises(ScanInputError):
        is_affected("not a version", "PyPI", {"ranges": [{"type": "ECOSYSTEM", "events": []}]})
    with pytest.raises(ScanInputError):
        in_range(pep440.key("1.0"), [{"introduced": "0", "fixed": "2"}], pep440.key)


@given(version=dpkg_versions, bound=dpkg_versions, start=dpkg_versions)
def test_a_single_range_is_the_interval_it_names(version: str, bound: str, start: str) -> None:
    key = dpkg.key
    fixed = events(("introduced", start), ("fixed", bound))
    last = events(("introduced", start), ("last_affected", bound))
    # OSV: `introduced: "0"` is the start of time, before even `0~` (which dpkg orders before
    # 0); hypothesis found the oracle treating it as the version 0.
    at_or_after_start = start == "0" or dpkg.compare(version, start) >= 0
    if dpkg.compare(start, bound) < 0:
        assert in_range(key(version), fixed, key) is (
            at_or_after_start and dpkg.compare(version, bound) < 0
        )
    if dpkg.compare(start, bound) <= 0:
        assert in_range(key(version), last, key) is (
            at_or_after_start and dpkg.compare(version, bound) <= 0
        )
    assert in_range(key(version), events(("introduced", "0")), key)
