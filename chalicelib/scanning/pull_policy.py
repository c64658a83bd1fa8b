"""A repository's scan pull policy (pure): refuse pulls of images whose scan found something
at or above a severity, and/or of images not scanned yet, except advisories on an allow-list
until their expiry date. Off unless a rule is set.

Judged from the compact verdict on the item a pull reads (scan_verdict.py), so the rules must
be decidable from it alone: counts per level and the listed (advisory, package) pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chalicelib.scanning.scan_verdict import ORDER, ScanVerdict
from chalicelib.scanning.severity import LEVELS, UNKNOWN, rank

MAX_ALLOWED = 200
MAX_ID = 100
MAX_REASON = 300
SEVERITIES = (*LEVELS, UNKNOWN)


class PolicyError(ValueError):
    """The document is not a policy; the message says which field and why."""


@dataclass(frozen=True)
class AllowEntry:
    id: str
    until: date  # the last day it counts; from the next day on it is ignored
    reason: str = ""
    by: str | None = None

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "until": self.until.isoformat()}
        if self.reason:
            out["reason"] = self.reason
        if self.by:
            out["by"] = self.by
        return out


@dataclass(frozen=True)
class ScanPolicy:
    severity: str | None = None  # refuse findings at or above it (None: no threshold)
    unscanned: bool = False  # refuse images with no completed scan
    allow: tuple[AllowEntry, ...] = ()
    version: int = 0

    @property
    def enabled(self) -> bool:
        return self.severity is not None or self.unscanned

    def allowed_ids(self, today: date) -> frozenset[str]:
        return frozenset(e.id for e in self.allow if e.until >= today)

    def document(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "refuseUnscanned": self.unscanned,
            "allow": [e.document() for e in self.allow],
            "version": self.version,
        }


@dataclass(frozen=True)
class Refusal:
    reason: str  # "unscanned", "failed" or "findings"
    worst: tuple[tuple[str, str, str], ...] = field(default=())  # (id, package, severity)
    unnamed: int = 0  # findings at or above the threshold the verdict counts but does not list


def _severity(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.upper() not in SEVERITIES:
        raise PolicyError(f"severity must be one of {', '.join(SEVERITIES)} or null")
    return value.upper()


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: until must be a date (YYYY-MM-DD)") from None


def _entry(value: Any, number: int, by: str | None) -> AllowEntry:
    where = f"allow[{number}]"
    if not isinstance(value, dict):
        raise PolicyError(f"{where} must be an object with id and until")
    advisory = value.get("id")
    if not isinstance(advisory, str) or not advisory or len(advisory) > MAX_ID or " " in advisory:
        raise PolicyError(f"{where}: id must be an advisory id (no spaces, at most {MAX_ID})")
    reason = value.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise PolicyError(f"{where}: reason must be text of at most {MAX_REASON} characters")
    stored_by = value.get("by", by)
    return AllowEntry(
        advisory,
        _date(value.get("until"), where),
        reason,
        stored_by if isinstance(stored_by, str) else None,
    )


def parse(document: Any, by: str | None = None) -> ScanPolicy:
    """A policy from its JSON document; entries without `by` are stamped with `by`."""
    if not isinstance(document, dict):
        raise PolicyError('the policy must be an object: {"severity": "HIGH", ...}')
    known = {"severity", "refuseUnscanned", "allow", "version", "updatedAt", "updatedBy"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise PolicyError(f"unknown field {unknown[0]!r}")
    unscanned = document.get("refuseUnscanned", False)
    if not isinstance(unscanned, bool):
        raise PolicyError("refuseUnscanned must be true or false")
    allow = document.get("allow", [])
    if not isinstance(allow, list) or len(allow) > MAX_ALLOWED:
        raise PolicyError(f"allow must be a list of at most {MAX_ALLOWED} entries")
    entries = [_entry(value, n, by) for n, value in enumerate(allow)]
    by_id = {e.id: e for e in entries}  # the last entry of an id wins
    return ScanPolicy(_severity(document.get("severity")), unscanned, tuple(by_id.values()))


def _at_or_above(level: str, threshold: str) -> bool:
    if threshold == UNKNOWN:  # UNKNOWN as a threshold: every finding counts
        return True
    return level != UNKNOWN and rank(level) >= rank(threshold)


def judge(policy: ScanPolicy, verdict: ScanVerdict | None, today: date) -> Refusal | None:
    """Why a pull of an image with this verdict is refused, or None if it is not."""
    if not policy.enabled:
        return None
    if verdict is None or verdict.status != "COMPLETE":
        if policy.unscanned:
            return Refusal("unscanned" if verdict is None else "failed")
        return None
    if policy.severity is None:
        return None
    allowed = policy.allowed_ids(today)
    worst: list[tuple[str, str, str]] = []
    unnamed = 0
    for level in ORDER:
        if not _at_or_above(level, policy.severity):
            continue
        entries = verdict.listed.get(level, ())
        worst += [(i, p, level) for i, p in entries if i not in allowed]
        unnamed += max(0, verdict.counts.get(level, 0) - len(entries))
    if worst or unnamed:
        return Refusal("findings", tuple(worst), unnamed)
    return None
