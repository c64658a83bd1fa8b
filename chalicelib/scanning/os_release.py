"""`os-release` (freedesktop): which distribution and release an image is, which picks the
advisory ecosystem (Debian:12, Alpine:v3.19, ...) and the purl namespace of OS packages."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.scanning.errors import ScanInputError

# os-release(5): read /etc/os-release, and only when it is absent /usr/lib/os-release.
PATHS = ("etc/os-release", "usr/lib/os-release")


@dataclass(frozen=True)
class OsRelease:
    id: str
    version_id: str = ""
    pretty_name: str = ""
    id_like: tuple[str, ...] = ()

    @property
    def distro(self) -> str:
        """The purl `distro` qualifier, e.g. debian-12."""
        return f"{self.id}-{self.version_id}" if self.version_id else self.id


def parse_os_release(data: bytes) -> OsRelease:
    fields: dict[str, str] = {}
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value.strip("\"'")]
        fields[key.strip()] = " ".join(words)
    if not fields.get("ID"):
        raise ScanInputError("os-release has no ID")
    return OsRelease(
        id=fields["ID"].lower(),
        version_id=fields.get("VERSION_ID", ""),
        pretty_name=fields.get("PRETTY_NAME", ""),
        id_like=tuple(fields.get("ID_LIKE", "").split()),
    )


def find_os_release(files: Mapping[str, bytes]) -> OsRelease | None:
    for path in PATHS:
        if path in files:
            return parse_os_release(files[path])
    return None
