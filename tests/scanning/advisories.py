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
