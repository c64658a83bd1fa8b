"""A severity for advisories that give only a CVSS v4.0 vector.

CVSS v4.0's score is not a formula: FIRST's specification scores each of its 270 macro-vectors
from a lookup table produced by expert ranking, then interpolates inside the macro-vector. That
table is not reproduced here, so Berth does not claim a v4 *score*. It derives the qualitative
severity from the v4 base metrics' nearest CVSS v3.1 vector, whose score is a formula
(cvss3.py): AV and PR carry over, AC is High when v4's AC or Attack Requirements (AT:P) is,
User Interaction Passive or Active is Required, Scope is Changed when a subsequent system is
impacted (SC/SI/SA), and each of C/I/A is the higher of the vulnerable and subsequent system's
impact. Threat, environmental and supplemental metrics are ignored (a base severity, CVSS-B)."""

from __future__ import annotations

from chalicelib.scanning.cvss3 import base_score, rating
from chalicelib.scanning.errors import ScanInputError

PREFIX = "CVSS:4.0"
_ALLOWED = {
    "AV": "NALP",
    "AC": "LH",
    "AT": "NP",
    "PR": "NLH",
    "UI": "NPA",
    "VC": "HLN",
    "VI": "HLN",
    "VA": "HLN",
    "SC": "HLN",
    "SI": "HLN",
    "SA": "HLN",
}
_IMPACT_ORDER = "NLH"


def parse_vector(vector: str) -> dict[str, str]:
    parts = vector.strip().split("/")
    if parts[0] != PREFIX:
        raise ScanInputError(f"not a CVSS v4.0 vector: {vector[:80]!r}")
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        name, colon, value = part.partition(":")
        if not colon or not name or not value or name in metrics:
            raise ScanInputError(f"malformed CVSS metric {part[:20]!r}")
        metrics[name] = value
    for name, allowed in _ALLOWED.items():
        if len(metrics.get(name, "")) != 1 or metrics[name] not in allowed:
            raise ScanInputError(f"CVSS v4.0 vector lacks a valid {name}")
    return metrics


def nearest_v3(vector: str) -> str:
    """The CVSS v3.1 vector closest to a v4.0 vector's base metrics."""
    m = parse_vector(vector)
    subsequent = any(m[name] != "N" for name in ("SC", "SI", "SA"))

    def impact(own: str, other: str) -> str:
        return max(m[own], m[other], key=_IMPACT_ORDER.index)

    return "/".join(
        [
            "CVSS:3.1",
            f"AV:{m['AV']}",
            f"AC:{'H' if m['AC'] == 'H' or m['AT'] == 'P' else 'L'}",
            f"PR:{m['PR']}",
            f"UI:{'N' if m['UI'] == 'N' else 'R'}",
            f"S:{'C' if subsequent else 'U'}",
            f"C:{impact('VC', 'SC')}",
            f"I:{impact('VI', 'SI')}",
            f"A:{impact('VA', 'SA')}",
        ]
    )


def severity(vector: str) -> str:
    """Berth's severity name (INFORMATIONAL when nothing is impacted, as v4 scores it 0)."""
    return rating(base_score(nearest_v3(vector)))
