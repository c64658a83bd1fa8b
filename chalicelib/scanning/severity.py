"""One severity per finding: the vendor's word where the advisory gives it (a distribution knows
how its build is exposed), else the CVSS v3 base score's rating, else the severity derived from
a CVSS v4.0 vector (cvss4.py: no v4 score is claimed), else UNKNOWN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.scanning import cvss4
from chalicelib.scanning.cvss3 import base_score, rating
from chalicelib.scanning.errors import ScanInputError

# Lowest first; UNKNOWN sorts apart (a policy decides what to do with it).
LEVELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
UNKNOWN = "UNKNOWN"
_VENDOR_WORDS = {
    "critical": "CRITICAL",
    "high": "HIGH",
    "important": "HIGH",
    "medium": "MEDIUM",
    "moderate": "MEDIUM",
    "low": "LOW",
    "negligible": "INFORMATIONAL",
    "unimportant": "INFORMATIONAL",
    "informational": "INFORMATIONAL",
    "none": "INFORMATIONAL",
}


def _vendor_word(value: Any) -> str | None:
    if isinstance(value, str):
        return _VENDOR_WORDS.get(value.strip().lower())
    return None


def _specific(block: Any) -> str | None:
    return _vendor_word(block.get("severity")) if isinstance(block, Mapping) else None


def severity_of(
    advisory: Mapping[str, Any], affected: Mapping[str, Any]
) -> tuple[str, float | None]:
    """(severity, CVSS v3 base score if one was computed)."""
    for block in (
        affected.get("ecosystem_specific"),
        affected.get("database_specific"),
        advisory.get("database_specific"),
    ):
        word = _specific(block)
        if word:
            return word, _cvss_score(advisory, affected)
    for entry in [*(affected.get("severity") or []), *(advisory.get("severity") or [])]:
        if isinstance(entry, Mapping) and entry.get("type") not in (
            "CVSS_V2",
            "CVSS_V3",
            "CVSS_V4",
        ):
            word = _vendor_word(entry.get("score"))
            if word:
                return word, _cvss_score(advisory, affected)
    score = _cvss_score(advisory, affected)
    if score is not None:
        return rating(score), score
    derived = _cvss4_severity(advisory, affected)
    return (derived, None) if derived else (UNKNOWN, None)


def _cvss4_severity(advisory: Mapping[str, Any], affected: Mapping[str, Any]) -> str | None:
    for entry in [*(affected.get("severity") or []), *(advisory.get("severity") or [])]:
        if isinstance(entry, Mapping) and entry.get("type") == "CVSS_V4":
            try:
                return cvss4.severity(str(entry.get("score", "")))
            except ScanInputError:
                continue
    return None


def _cvss_score(advisory: Mapping[str, Any], affected: Mapping[str, Any]) -> float | None:
    for entry in [*(affected.get("severity") or []), *(advisory.get("severity") or [])]:
        if isinstance(entry, Mapping) and entry.get("type") == "CVSS_V3":
            try:
                return base_score(str(entry.get("score", "")))
            except ScanInputError:
                continue
    return None


def rank(severity: str) -> int:
    """Higher is worse; UNKNOWN ranks below INFORMATIONAL."""
    return LEVELS.index(severity) if severity in LEVELS else -1
