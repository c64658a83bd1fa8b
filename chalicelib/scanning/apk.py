"""apk's installed database (`lib/apk/db/installed`): one `X:value` line per field, packages
separated by blank lines. Alpine advisories name the origin (source) package, `o:`."""

from __future__ import annotations

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl


def _records(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                records.append(current)
            current = {}
            continue
        if len(line) < 2 or line[1] != ":":
            raise ScanInputError(f"apk database: not a field line: {line[:80]!r}")
        # Repeated keys (F:, R: per file) do not matter here; the first P/V/o/A/L win.
        current.setdefault(line[0], line[2:])
    if current:
        records.append(current)
    return records


def parse_apk_installed(data: bytes, path: str, distro: OsRelease | None) -> list[Package]:
    namespace = distro.id if distro else "alpine"
    packages = []
    for record in _records(data.decode("utf-8", "replace")):
        name, version = record.get("P", ""), record.get("V", "")
        if not name or not version:
            continue
        arch = record.get("A", "")
        packages.append(
            Package(
                kind="apk",
                name=name,
                version=version,
                purl=purl(
                    "apk",
                    name,
                    version,
                    namespace,
                    {"arch": arch, "distro": distro.distro if distro else ""},
                ),
                path=path,
                source_name=record.get("o", name),
                source_version=version,
                arch=arch,
                license=record.get("L", ""),
            )
        )
    return packages
