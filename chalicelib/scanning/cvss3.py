"""CVSS v3.0/v3.1 base score from a vector string, per the FIRST specification's equations,
so an advisory that gives only a vector still gets a severity."""

from __future__ import annotations

import math

from chalicelib.scanning.errors import ScanInputError

_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
# Privileges Required weighs more when the scope changes.
_PRIVILEGES = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_BASE = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")


def _roundup_31(value: float) -> float:
    """v3.1's Roundup: the smallest one-decimal number >= value, immune to float noise."""
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000
    return (math.floor(scaled / 10_000) + 1) / 10.0


def _roundup_30(value: float) -> float:
    return math.ceil(value * 10) / 10


def parse_vector(vector: str) -> tuple[str, dict[str, str]]:
    parts = vector.strip().split("/")
    prefix = parts[0]
    if prefix not in ("CVSS:3.0", "CVSS:3.1"):
        raise ScanInputError(f"not a CVSS v3 vector: {vector[:80]!r}")
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        name, colon, value = part.partition(":")
        if not colon or name in metrics:
            raise ScanInputError(f"malformed CVSS metric {part[:20]!r}")
        metrics[name] = value
    for name in _BASE:
        allowed = {"S": ("U", "C"), "PR": ("N", "L", "H")}.get(name) or tuple(_WEIGHTS[name])
        if metrics.get(name) not in allowed:
            raise ScanInputError(f"CVSS vector lacks a valid {name}")
    return prefix, metrics


def base_score(vector: str) -> float:
    version, metrics = parse_vector(vector)
    roundup = _roundup_31 if version == "CVSS:3.1" else _roundup_30
    scope_changed = metrics["S"] == "C"
    impact_sub = 1 - (
        (1 - _WEIGHTS["C"][metrics["C"]])
        * (1 - _WEIGHTS["I"][metrics["I"]])
        * (1 - _WEIGHTS["A"][metrics["A"]])
    )
    if scope_changed:
        impact = 7.52 * (impact_sub - 0.029) - 3.25 * (impact_sub - 0.02) ** 15
    else:
        impact = 6.42 * impact_sub
    exploitability = (
        8.22
        * _WEIGHTS["AV"][metrics["AV"]]
        * _WEIGHTS["AC"][metrics["AC"]]
        * _PRIVILEGES[metrics["S"]][metrics["PR"]]
        * _WEIGHTS["UI"][metrics["UI"]]
    )
    if impact <= 0:
        return 0.0
    if scope_changed:
        return roundup(min(1.08 * (impact + exploitability), 10))
    return roundup(min(impact + exploitability, 10))


def rating(score: float) -> str:
    """The specification's qualitative rating, in Berth's severity names."""
    if score == 0:
        return "INFORMATIONAL"
    if score < 4:
        return "LOW"
    if score < 7:
        return "MEDIUM"
    if score < 9:
        return "HIGH"
    return "CRITICAL"
