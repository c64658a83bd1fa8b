"""dpkg's status database (`var/lib/dpkg/status`, or one file per package in `status.d/` as
distroless images have). Debian and Ubuntu advisories name source packages, so the `Source:`
field and its version are kept."""

from __future__ import annotations

import re
from collections.abc import Iterator

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl

# Packages in these states have no files on disk (only config files, or nothing).
_ABSENT = frozenset({"not-installed", "config-files"})
_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<version>[^)]+)\))?\s*$")


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """RFC 822-style paragraphs separated by blank lines; continuation lines are folded in."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, ""
        elif line[0] in " \t":
            if not last:
                raise ScanInputError("dpkg status: continuation line before any field")
            fields[last] += "\n" + line.strip()
        else:
            key, colon, value = line.partition(":")
            if not colon or not key.strip():
                raise ScanInputError(f"dpkg status: not a field: {line[:80]!r}")
            last = key.strip()
            fields[last] = value.strip()
    if fields:
        yield fields


def parse_dpkg_status(data: bytes, path: str, distro: OsRelease | None) -> list[Package]:
    namespace = distro.id if distro else "debian"
    packages = []
    for fields in stanzas(data.decode("utf-8", "replace")):
        name, version = fields.get("Package", ""), fields.get("Version", "")
        if not name or not version:
            continue
        state = fields.get("Status", "install ok installed").split()
        if state and state[-1] in _ABSENT:
            continue
        source_name, source_version = name, version
        source = _SOURCE.match(fields.get("Source", ""))
        if source:
            source_name = source["name"]
            source_version = source["version"] or version
        arch = fields.get("Architecture", "")
        packages.append(
            Package(
                kind="deb",
                name=name,
                version=version,
                purl=purl(
                    "deb",
                    name,
                    version,
                    namespace,
                    {"arch": arch, "distro": distro.distro if distro else ""},
                ),
                path=path,
                source_name=source_name,
                source_version=source_version,
                arch=arch,
            )
        )
    return packages
