"""Match an inventory against advisories looked up per package: each package is checked only
against the advisories of its own index key, in its own ecosystem's version order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chalicelib.scanning.advisory_index import index_key, normalised_name
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.finding import Finding
from chalicelib.scanning.inventory import Inventory
from chalicelib.scanning.osv_ranges import is_affected
from chalicelib.scanning.package import Package
from chalicelib.scanning.package_ecosystem import covers, ecosystem_of
from chalicelib.scanning.severity import rank, severity_of
from chalicelib.scanning.versions.ecosystems import version_key

# key -> advisories stored under it (see advisory_index); [] when none. Called from several
# threads at once.
Lookup = Callable[[str], list[dict[str, Any]]]
LOOKUP_CONCURRENCY = 8


@dataclass
class MatchResult:
    findings: list[Finding]
    problems: list[str] = field(default_factory=list)
    unmatched_packages: int = 0


def _fixed_version(version: str, ecosystem: str, affected: Mapping[str, Any]) -> str:
    """The lowest `fixed` event above the installed version, or "" if none is known."""
    candidates: list[tuple[Any, str]] = []
    for entry in affected.get("ranges") or []:
        if entry.get("type") == "GIT":
            continue
        try:
            key = version_key(ecosystem, entry.get("type", ""))
            installed = key(version)
            candidates.extend(
                (key(event["fixed"]), event["fixed"])
                for event in entry.get("events") or []
                if "fixed" in event and key(event["fixed"]) > installed
            )
        except (ScanInputError, TypeError):
            continue
    return min(candidates)[1] if candidates else ""


def _finding(
    package: Package, ecosystem: str, advisory: Mapping[str, Any], affected: Mapping[str, Any]
) -> Finding:
    severity, score = severity_of(advisory, affected)
    links = tuple(
        str(reference["url"])
        for reference in advisory.get("references") or []
        if reference.get("url")
    )
    return Finding(
        id=str(advisory["id"]),
        package=package.name,
        installed_version=package.version,
        severity=severity,
        fixed_version=_fixed_version(package.match_version, ecosystem, affected),
        purl=package.purl,
        path=package.path,
        ecosystem=ecosystem,
        aliases=tuple(str(alias) for alias in advisory.get("aliases") or []),
        summary=str(advisory.get("summary", ""))[:300],
        links=links,
        cvss_score=score,
    )


def match_package(
    package: Package, ecosystem: str, advisories: list[dict[str, Any]], problems: list[str]
) -> list[Finding]:
    found: dict[str, Finding] = {}
    wanted_name = normalised_name(ecosystem, package.match_name)
    for advisory in advisories:
        for affected in advisory.get("affected") or []:
            named = affected.get("package") or {}
            if normalised_name(ecosystem, str(named.get("name", ""))) != wanted_name:
                continue
            if not covers(str(named.get("ecosystem", "")), ecosystem):
                continue
            try:
                hit = is_affected(package.match_version, ecosystem, affected)
            except ScanInputError as error:
                problems.append(f"{advisory.get('id')}: {package.name} {package.version}: {error}")
                continue
            if hit and advisory["id"] not in found:
                found[advisory["id"]] = _finding(package, ecosystem, advisory, affected)
    return list(found.values())


def keyed_packages(inventory: Inventory) -> list[tuple[Package, str, str]]:
    """(package, ecosystem, index key) of each package an advisory could name."""
    keyed: list[tuple[Package, str, str]] = []
    for package in inventory.packages:
        ecosystem = ecosystem_of(package, inventory.os)
        if ecosystem is not None:
            keyed.append((package, ecosystem, index_key(ecosystem, package.match_name)))
    return keyed


def index_keys(inventory: Inventory) -> set[str]:
    """The index keys a match of `inventory` looks up: what a database change must touch to
    change its findings."""
    return {key for _, _, key in keyed_packages(inventory)}


def match_inventory(inventory: Inventory, lookup: Lookup) -> MatchResult:
    """Each distinct key is looked up once; the lookups (S3 reads in the registry, about 10 ms
    each) run LOOKUP_CONCURRENCY at a time, so an image of 800 packages waits for about 100
    round trips rather than 800."""
    result = MatchResult(findings=[])
    keyed = keyed_packages(inventory)
    result.unmatched_packages = len(inventory.packages) - len(keyed)
    keys = sorted({key for _, _, key in keyed})
    with ThreadPoolExecutor(max_workers=LOOKUP_CONCURRENCY) as pool:
        found = dict(zip(keys, pool.map(lookup, keys), strict=True))
    for package, ecosystem, key in keyed:
        result.findings.extend(match_package(package, ecosystem, found[key], result.problems))
    result.findings.sort(key=lambda f: (-rank(f.severity), f.id, f.package))
    return result
