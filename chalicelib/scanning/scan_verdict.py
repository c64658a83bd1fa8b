"""A scan's verdict in a few kilobytes: the worst severity, the number of findings per level
and the advisory ids (with their package) at each level, worst first. It is copied onto the
image's manifest and tag items so a pull policy judges a pull from the one item the pull reads
anyway; the full report stays in S3.

Past `MAX_LISTED` findings the least severe are left out of the lists but still counted, so a
judge that meets a level with more findings than listed knows some are unnamed (and refuses:
an unnamed finding cannot be on an allow-list)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.scanning.finding import Finding
from chalicelib.scanning.severity import LEVELS, UNKNOWN, rank

MAX_LISTED = 150
FORMAT = 1
ORDER = (*reversed(LEVELS), UNKNOWN)  # worst first


@dataclass(frozen=True)
class ScanVerdict:
    status: str  # COMPLETE or FAILED
    scanned_at: str
    counts: dict[str, int] = field(default_factory=dict)
    # level -> ((advisory id, package), ...) worst first; at most MAX_LISTED in all
    listed: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # Of every finding in full (id, package, installed and fixed version, severity): a rescan
    # whose fingerprint is unchanged found nothing new, and announces nothing.
    fingerprint: str = ""

    @property
    def worst(self) -> str | None:
        return next((level for level in ORDER if self.counts.get(level)), None)

    def encode(self) -> str:
        document: dict[str, Any] = {
            "v": FORMAT,
            "s": self.status,
            "at": self.scanned_at,
            "c": {k: v for k, v in self.counts.items() if v},
            "f": {k: [f"{i} {p}" for i, p in v] for k, v in self.listed.items() if v},
            "h": self.fingerprint,
        }
        return json.dumps(document, separators=(",", ":"), sort_keys=True)


def fingerprint(findings: Iterable[Finding]) -> str:
    rows = sorted(
        {(f.id, f.package, f.installed_version, f.fixed_version, f.severity) for f in findings}
    )
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:32]


def verdict_of(findings: Iterable[Finding], scanned_at: str) -> ScanVerdict:
    """The verdict of a completed scan; one entry per (advisory, package)."""
    findings = list(findings)
    unique = sorted(
        {(f.severity, f.id, f.package) for f in findings},
        key=lambda entry: (-rank(entry[0]) if entry[0] != UNKNOWN else 99, entry[1], entry[2]),
    )
    counts: dict[str, int] = {}
    listed: dict[str, list[tuple[str, str]]] = {}
    for number, (severity, advisory, package) in enumerate(unique):
        counts[severity] = counts.get(severity, 0) + 1
        if number < MAX_LISTED:
            listed.setdefault(severity, []).append((advisory, package))
    return ScanVerdict(
        "COMPLETE",
        scanned_at,
        counts,
        {k: tuple(v) for k, v in listed.items()},
        fingerprint(findings),
    )


def failed(scanned_at: str) -> ScanVerdict:
    return ScanVerdict("FAILED", scanned_at, fingerprint="failed")


def decode(value: str | None) -> ScanVerdict | None:
    """The stored verdict, None when there is none (not scanned) or it cannot be read."""
    if not value:
        return None
    try:
        document = json.loads(value)
        listed = {
            str(level): tuple((str(e).partition(" ")[0], str(e).partition(" ")[2]) for e in entries)
            for level, entries in (document.get("f") or {}).items()
        }
        return ScanVerdict(
            str(document["s"]),
            str(document.get("at", "")),
            {str(k): int(v) for k, v in (document.get("c") or {}).items()},
            listed,
            str(document.get("h", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
