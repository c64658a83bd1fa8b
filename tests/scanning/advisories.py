"""Hand-written OSV records for the test images: real package names and version strings, ranges
chosen so each rule (fixed, last_affected, epochs, apk `_git`, release scoping, SEMVER) decides
at least one finding or its absence."""

from __future__ import annotations

from typing import Any


def osv(
    id: str,
    ecosystem: str,
    name: str,
    events: list[dict[str, str]],
    range_type: str = "ECOSYSTEM",
    **extra: Any,
) -> dict[str, Any]:
    affected: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": [{"type": range_type, "events": events}],
    }
    affected.update(extra.pop("affected_extra", {}))
    return {
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "summary": f"{name} advisory {id}",
        "details": "long text the index leaves out " * 20,
        "references": [{"type": "ADVISORY", "url": f"https://example.test/{id}"}],
        "affected": [affected],
        **extra,
    }


DEBIAN_STATUS = b"""Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u2

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u3

Package: libcurl4
Status: install ok installed
Architecture: amd64
Source: curl
Version: 7.88.1-10+deb12u4
"""

DEBIAN_ADVISORIES = [
    # Fixed after the installed version: both binaries of the openssl source are affected.
    osv("DSA-5585-1", "Debian:12", "openssl", [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]),
    # Epochs: 1:1.2.13.dfsg-1 is below 1:1.2.13.dfsg-3 ...
    osv(
        "DEBIAN-CVE-2023-45853",
        "Debian:12",
        "zlib",
        [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-3"}],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    ),
    # ... and above 1.2.13.dfsg-2, whose epoch is 0: no finding.
    osv(
        "DEBIAN-CVE-2022-37434",
        "Debian:12",
        "zlib",
        [{"introduced": "0"}, {"fixed": "1.2.13.dfsg-2"}],
    ),
    # last_affected is affected itself ...
    osv(
        "DEBIAN-CVE-2023-6246",
        "Debian:12",
        "glibc",
        [{"introduced": "0"}, {"last_affected": "2.36-9+deb12u3"}],
        affected_extra={"ecosystem_specific": {"severity": "important"}},
    ),
    # ... and nothing above it.
    osv(
        "DEBIAN-CVE-2023-4911",
        "Debian:12",
        "glibc",
        [{"introduced": "0"}, {"last_affected": "2.36-9+deb12u2"}],
    ),
    # Fixed in exactly the installed version: no finding.
    osv("DSA-5587-1", "Debian:12", "curl", [{"introduced": "0"}, {"fixed": "7.88.1-10+deb12u4"}]),
    # Another release: no finding.
    osv("DLA-3682-1", "Debian:11", "curl", [{"introduced": "0"}, {"fixed": "7.74.0-1.3+deb11u11"}]),
    # Withdrawn: no finding.
    osv("DSA-0000-1", "Debian:12", "curl", [{"introduced": "0"}], withdrawn="2024-01-02T00:00:00Z"),
]

LANGUAGE_ADVISORIES = [
    osv(
        "GHSA-h5c8-rqwp-cp95",
        "PyPI",
        "Jinja2",
        [{"introduced": "0"}, {"fixed": "3.1.3"}],
        aliases=["CVE-2024-22195"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N"}],
    ),
    osv(
        "GHSA-35jh-r3h4-6jhm",
        "npm",
        "lodash",
        [{"introduced": "0"}, {"fixed": "4.17.21"}],
        range_type="SEMVER",
        aliases=["CVE-2021-23337"],
        database_specific={"severity": "HIGH"},
    ),
    # Explicit versions only.
    osv("PYSEC-2023-0001", "PyPI", "jinja2", [], affected_extra={"versions": ["3.1.2"]}),
]

ALPINE_ADVISORIES = [
    osv(
        "ALPINE-CVE-2023-0001",
        "Alpine:v3.19",
        "musl",
        [{"introduced": "0"}, {"fixed": "1.2.4_git20230717-r5"}],
    ),
    osv(
        "ALPINE-CVE-2023-0002",
        "Alpine:v3.19",
        "musl",
        [{"introduced": "0"}, {"fixed": "1.2.4_git20230717-r4"}],
    ),
    osv(
        "ALPINE-CVE-2023-5678",
        "Alpine:v3.19",
        "openssl",
        [{"introduced": "0"}, {"fixed": "3.1.4-r1"}],
    ),
    osv(
        "ALPINE-CVE-2024-0727",
        "Alpine:v3.18",
        "openssl",
        [{"introduced": "0"}, {"fixed": "3.1.4-r6"}],
    ),
    osv(
        "ALPINE-CVE-2024-0728",
        "Alpine:v3.19",
        "openssl",
        [{"introduced": "0"}, {"fixed": "3.1.4-r6"}],
    ),
]


RPM_ADVISORIES = [
    # RHEL 8 (BerkeleyDB rpmdb): a Red Hat CPE-scoped record, epochs on both sides ...
    osv(
        "RHSA-2023:7877",
        "Red Hat:enterprise_linux:8::baseos",
        "openssl",
        [{"introduced": "0"}, {"fixed": "1:1.1.1k-12.el8_9"}],
        affected_extra={"ecosystem_specific": {"severity": "Low"}},
    ),
    # ... and one whose fix has no epoch: below 1:..., so the installed package is not affected.
    osv(
        "RHSA-2021:0000",
        "Red Hat:enterprise_linux:8::baseos",
        "openssl",
        [{"introduced": "0"}, {"fixed": "1.1.1k-14.el8"}],
    ),
    # SUSE (NDB rpmdb): scoped by the product name, source package names.
    osv(
        "SUSE-SU-2024:0001-1",
        "SUSE:Linux Enterprise Server 15 SP5",
        "openssl-3",
        [{"introduced": "0"}, {"fixed": "3.0.8-150500.5.20.1"}],
        database_specific={"severity": "important"},
    ),
    osv(
        "SUSE-SU-2023:9999-1",
        "SUSE:Linux Enterprise Server 15 SP4",
        "openssl-3",
        [{"introduced": "0"}, {"fixed": "3.0.8-150400.9.9.9"}],
    ),
]

GO_ADVISORIES = [
    osv(
        "GO-2023-2102",
        "Go",
        "golang.org/x/net",
        [{"introduced": "0"}, {"fixed": "0.17.0"}],
        range_type="SEMVER",
        aliases=["CVE-2023-39325"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    ),
    osv(
        "GO-2024-2963",
        "Go",
        "stdlib",
        [{"introduced": "1.21.0-0"}, {"fixed": "1.21.6"}],
        range_type="SEMVER",
    ),
    # Fixed in exactly the installed v1.9.0: no finding.
    osv(
        "GO-2023-1737",
        "Go",
        "github.com/gin-gonic/gin",
        [{"introduced": "0"}, {"fixed": "1.9.0"}],
        range_type="SEMVER",
    ),
    # +incompatible versions compare as their base version.
    osv(
        "GO-2023-1699",
        "Go",
        "github.com/docker/docker",
        [{"introduced": "20.10.0"}, {"last_affected": "20.10.24"}],
        range_type="SEMVER",
    ),
]

MAVEN_ADVISORIES = [
    osv(
        "GHSA-jfh8-c2jp-5v3q",
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}],
        aliases=["CVE-2021-44228"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
    ),
    # 2.13.2 < 2.13.2.1 (Maven ordering: a further number is newer).
    osv(
        "GHSA-57j2-w4cx-62h2",
        "Maven",
        "com.fasterxml.jackson.core:jackson-databind",
        [{"introduced": "2.13.0"}, {"fixed": "2.13.2.1"}],
    ),
    osv(
        "GHSA-mjmj-j48q-9wg2",
        "Maven",
        "org.yaml:snakeyaml",
        [{"introduced": "0"}, {"fixed": "2.0"}],
    ),
    # Fixed in the installed 5.3.18: no finding.
    osv(
        "GHSA-36p3-wjmg-h94x",
        "Maven",
        "org.springframework:spring-core",
        [{"introduced": "5.3.0"}, {"fixed": "5.3.18"}],
    ),
]

CARGO_ADVISORIES = [
    osv(
        "RUSTSEC-2021-0003",
        "crates.io",
        "smallvec",
        [{"introduced": "1.6.0"}, {"fixed": "1.6.1"}],
        range_type="SEMVER",
    ),
    osv(
        "RUSTSEC-2017-0001",
        "crates.io",
        "serde",
        [{"introduced": "0"}, {"fixed": "1.0.0"}],
        range_type="SEMVER",
    ),
]
