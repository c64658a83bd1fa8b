"""Which version ordering an OSV ecosystem (or range type) uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.versions import apk, dpkg, maven, pep440, rpm, semver

VersionKey = Callable[[str], Any]

_BY_ECOSYSTEM: dict[str, VersionKey] = {
    "Debian": dpkg.key,
    "Ubuntu": dpkg.key,
    "Alpine": apk.key,
    "Wolfi": apk.key,
    "Chainguard": apk.key,
    "Red Hat": rpm.key,
    "Rocky Linux": rpm.key,
    "AlmaLinux": rpm.key,
    "openSUSE": rpm.key,
    "SUSE": rpm.key,
    "Mageia": rpm.key,
    "openEuler": rpm.key,
    "Photon OS": rpm.key,
    "PyPI": pep440.key,
    "npm": semver.key,
    "Go": semver.key,
    "crates.io": semver.key,
    "Maven": maven.key,
}


def base_ecosystem(ecosystem: str) -> str:
    """`Debian:12` -> `Debian`; `Red Hat:enterprise_linux:9::baseos` -> `Red Hat`."""
    return ecosystem.partition(":")[0]


def version_key(ecosystem: str, range_type: str = "ECOSYSTEM") -> VersionKey:
    if range_type == "SEMVER":
        return semver.key
    if range_type != "ECOSYSTEM":
        raise ScanInputError(f"range type {range_type!r} is not ordered by version")
    found = _BY_ECOSYSTEM.get(base_ecosystem(ecosystem))
    if found is None:
        raise ScanInputError(f"no version ordering for ecosystem {ecosystem!r}")
    return found
