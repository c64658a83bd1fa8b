"""A scan-policy refusal told per advisory, not per package.

A verdict lists one entry per (advisory, package), and one Debian advisory on glibc names
eight binary packages: listing entries, a refusal showed the same advisory five times and hid
the second advisory behind "and 4 more", and its exception command named only the first, so a
user allowed one advisory and was refused again for the next. Pure: the pull check (403) and
the image page say the same thing from here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PACKAGES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Blocking:
    """One refused advisory: its worst severity and every package it was found in."""

    id: str
    severity: str
    packages: tuple[str, ...]

    def text(self, lower: bool = False) -> str:
        shown = ", ".join(self.packages[:PACKAGES_SHOWN])
        rest = len(self.packages) - PACKAGES_SHOWN
        if rest > 0:
            shown += f" and {rest} more package{'s' if rest > 1 else ''}"
        severity = self.severity.lower() if lower else self.severity
        return f"{self.id} ({shown}, {severity})"


def by_advisory(worst: Iterable[tuple[str, str, str]]) -> tuple[Blocking, ...]:
    """(id, package, severity) entries, worst first, as one Blocking per advisory in the
    order of its first (so worst) entry; packages in their order, each once."""
    order: list[str] = []
    severity: dict[str, str] = {}
    packages: dict[str, list[str]] = {}
    for advisory, package, level in worst:
        if advisory not in packages:
            order.append(advisory)
            severity[advisory] = level
            packages[advisory] = []
        if package not in packages[advisory]:
            packages[advisory].append(package)
    return tuple(Blocking(a, severity[a], tuple(packages[a])) for a in order)


def describe(blocking: tuple[Blocking, ...], unnamed: int, shown: int, lower: bool = False) -> str:
    """The first `shown` advisories, then how many more advisories (and findings the verdict
    counts but does not name) there are."""
    named = ", ".join(b.text(lower) for b in blocking[:shown])
    parts = []
    if len(blocking) > shown:
        rest = len(blocking) - shown
        parts.append(f"{rest} more advisor{'ies' if rest > 1 else 'y'}")
    if unnamed:
        parts.append(f"{unnamed} more finding{'s' if unnamed > 1 else ''} not listed")
    if not named:
        return " and ".join(parts) or "findings"
    return named + (" and " + " and ".join(parts) if parts else "")
