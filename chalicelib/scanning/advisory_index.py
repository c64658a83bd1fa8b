"""A per-package index of OSV advisories: each (ecosystem, package) key holds only the
advisories, trimmed to their entries for that package, so a scan reads the few keys of the
packages it found instead of a whole ecosystem export."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.scanning.python_dist import normalise_name
from chalicelib.scanning.versions.ecosystems import base_ecosystem

# What a finding needs from an advisory; the long `details` text stays out of the index.
_KEPT = ("id", "aliases", "summary", "severity", "database_specific", "references", "modified")


def normalised_name(ecosystem: str, name: str) -> str:
    return normalise_name(name) if base_ecosystem(ecosystem) == "PyPI" else name


def index_key(ecosystem: str, name: str) -> str:
    """Stable, path-safe: `Debian/<sha256 of the name>` (names hold '/', '@', ':')."""
    base = base_ecosystem(ecosystem)
    digest = hashlib.sha256(normalised_name(ecosystem, name).encode()).hexdigest()
    return f"{base}/{digest[:40]}"


def _trimmed(advisory: Mapping[str, Any], affected: list[Mapping[str, Any]]) -> dict[str, Any]:
    kept = {field: advisory[field] for field in _KEPT if field in advisory}
    kept["references"] = [
        {"type": r.get("type"), "url": r.get("url")}
        for r in (advisory.get("references") or [])[:5]
        if isinstance(r, Mapping)
    ]
    kept["affected"] = affected
    return kept


def index_advisories(advisories: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """key -> advisories; withdrawn advisories and malformed entries are left out."""
    index: dict[str, list[dict[str, Any]]] = {}
    for advisory in advisories:
        if not isinstance(advisory, Mapping) or advisory.get("withdrawn") or "id" not in advisory:
            continue
        by_key: dict[str, list[Mapping[str, Any]]] = {}
        for affected in advisory.get("affected") or []:
            package = affected.get("package") if isinstance(affected, Mapping) else None
            if not isinstance(package, Mapping):
                continue
            ecosystem, name = package.get("ecosystem"), package.get("name")
            if isinstance(ecosystem, str) and isinstance(name, str) and ecosystem and name:
                by_key.setdefault(index_key(ecosystem, name), []).append(affected)
        for key, entries in by_key.items():
            index.setdefault(key, []).append(_trimmed(advisory, entries))
    return index
