"""Which OSV ecosystem an installed package belongs to, and whether an advisory's (possibly
release-scoped) ecosystem covers it: a Debian 12 package is matched against `Debian:12` and
unscoped `Debian` advisories, never against Debian 11's."""

from __future__ import annotations

from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package

_LANGUAGE = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven", "cargo": "crates.io"}


def _major(version_id: str) -> str:
    return version_id.split(".")[0]


def _openeuler(os: OsRelease) -> str | None:
    """openEuler scopes advisories to an LTS release and service pack (`openEuler:22.03-LTS-SP3`),
    which os-release says only in PRETTY_NAME (`openEuler 22.03 (LTS-SP3)`). Innovation releases
    (no LTS) get no advisories: None, so the scan says they are not covered."""
    _, _, stream = os.pretty_name.partition("(")
    stream = stream.removesuffix(")").strip()
    if not stream.startswith("LTS"):
        return None
    return f"openEuler:{os.version_id}-{stream}"


def _os_ecosystem(kind: str, os: OsRelease) -> str | None:
    release = os.version_id
    if kind == "deb" and os.id == "debian" and release:
        return f"Debian:{_major(release)}"
    if kind == "deb" and os.id == "ubuntu" and release:
        return f"Ubuntu:{release}"
    if kind == "apk" and os.id == "alpine" and release:
        return "Alpine:v" + ".".join(release.split(".")[:2])
    if kind == "apk" and os.id in ("wolfi", "chainguard"):
        return os.id.capitalize()
    if kind == "rpm" and release:
        names = {"rhel": "Red Hat", "rocky": "Rocky Linux", "almalinux": "AlmaLinux"}
        if os.id in names:
            return f"{names[os.id]}:{_major(release)}"
        if os.id == "mageia":
            return f"Mageia:{_major(release)}"
        if os.id == "photon":
            return f"Photon OS:{release}"
        if os.id == "openeuler":
            return _openeuler(os)
    if kind == "rpm" and os.pretty_name:
        # SUSE and openSUSE scope advisories by the product's marketing name, which is
        # os-release's PRETTY_NAME (OSV's ecosystem definitions).
        if os.id.startswith(("sles", "sled", "sle-")):
            return f"SUSE:{os.pretty_name}"
        if os.id.startswith("opensuse"):
            return f"openSUSE:{os.pretty_name}"
    # Amazon Linux, CentOS and Fedora: OSV defines no ecosystem for them, so nothing matches
    # (coverage.py says so in the scan's result).
    return None


def ecosystem_of(package: Package, os: OsRelease | None) -> str | None:
    """None when no advisory source covers the package (e.g. an OS package of an unknown OS)."""
    if package.kind in _LANGUAGE:
        return _LANGUAGE[package.kind]
    return _os_ecosystem(package.kind, os) if os else None


def covers(advisory_ecosystem: str, package_ecosystem: str) -> bool:
    if advisory_ecosystem == package_ecosystem:
        return True
    base, _, scope = advisory_ecosystem.partition(":")
    package_base, _, release = package_ecosystem.partition(":")
    if base != package_base:
        return False
    if not scope:
        return True
    if base == "Ubuntu":
        # Ubuntu:22.04:LTS covers 22.04; Ubuntu:Pro:... fixes need an ESM subscription.
        return scope == f"{release}:LTS"
    if base == "SUSE":
        # SUSE's records say `Linux Enterprise Server 15 SP5` where PRETTY_NAME says
        # `SUSE Linux Enterprise Server 15 SP5`.
        return scope.removeprefix("SUSE ") == release.removeprefix("SUSE ")
    if base == "Red Hat":
        # Red Hat:enterprise_linux:9::appstream (a CPE) covers a RHEL 9 image.
        return any(field.split(".")[0] == release for field in scope.split(":")[1:2])
    return False
