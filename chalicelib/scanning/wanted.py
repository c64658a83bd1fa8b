"""Which files of a layer the inventory keeps: only what package managers leave behind, so a
scan holds kilobytes to a few megabytes of a layer in memory, never the layer itself."""

from __future__ import annotations

import re

# Package databases can be large (an RPM sqlite database of a full RHEL is tens of MB), but a
# file past this is not a package database and is skipped rather than held in memory.
MAX_KEPT_FILE = 96 * 1024 * 1024

_EXACT = frozenset(
    {
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        # BerkeleyDB (RHEL <= 8, Amazon Linux 2) and NDB (SUSE) rpm databases.
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm/Packages",
        "var/lib/rpm/Packages.db",
        "usr/lib/sysimage/rpm/Packages.db",
        "etc/os-release",
        "usr/lib/os-release",
    }
)
_PATTERNS = (
    # distroless images: one file per package, beside its .md5sums which we do not want.
    re.compile(r"var/lib/dpkg/status\.d/[^/]+"),
    re.compile(r"(?:.*/)?[^/]+\.dist-info/METADATA"),
    re.compile(r"(?:.*/)?[^/]+\.egg-info(?:/PKG-INFO)?"),
    # A package's own package.json sits directly in node_modules/<name>/ or
    # node_modules/@scope/<name>/.
    re.compile(r"(?:.*/)?node_modules/(?:@[^/]+/)?[^/@.][^/]*/package\.json"),
)


def normalise(path: str) -> str:
    """Tar member names come as 'a/b', './a/b' or '/a/b'; compare them as 'a/b'."""
    while path.startswith("./"):
        path = path[2:]
    return path.strip("/")


def is_wanted(path: str) -> bool:
    if path in _EXACT:
        return True
    if path.startswith("var/lib/dpkg/status.d/") and path.endswith(".md5sums"):
        return False
    return any(pattern.fullmatch(path) for pattern in _PATTERNS)
