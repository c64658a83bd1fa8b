"""CVSS v4.0 severities (chalicelib/scanning/cvss4.py): derived, not scored, from the nearest
v3.1 vector; the derived band agrees with FIRST's published v4 scores for common vectors, is
monotone in every impact metric, and a v4-only advisory gets a severity instead of UNKNOWN."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.cvss4 import nearest_v3, severity
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.severity import LEVELS, severity_of


@pytest.mark.parametrize(
    ("vector", "band"),
    [
        # FIRST calculator: 9.3 Critical
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CRITICAL"),
        # 8.5 High
        ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "HIGH"),
        # 8.7 High
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "HIGH"),
        # 5.1 Medium (a stored XSS: the browser is the subsequent system)
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", "MEDIUM"),
        # 0.0 None
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "INFORMATIONAL"),
        # Threat metrics after the base ones are ignored.
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", "CRITICAL"),
    ],
)
def test_bands_of_common_vectors(vector: str, band: str) -> None:
    assert severity(vector) == band


def test_the_nearest_v3_vector() -> None:
    assert nearest_v3("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:H/SI:N/SA:L") == (
        "CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:C/C:H/I:N/A:L"
    )


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
        "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E",
    ],
)
def test_malformed_vectors_are_refused(vector: str) -> None:
    with pytest.raises(ScanInputError):
        severity(vector)


BASE = ("AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA")
VALUES = {"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA"}
IMPACTS = ("VC", "VI", "VA", "SC", "SI", "SA")
vectors = st.fixed_dictionaries({name: st.sampled_from(VALUES.get(name, "HLN")) for name in BASE})


def text(metrics: dict[str, str]) -> str:
    return "CVSS:4.0/" + "/".join(f"{name}:{metrics[name]}" for name in BASE)


@given(metrics=vectors, which=st.sampled_from(IMPACTS))
def test_more_impact_is_never_less_severe(metrics: dict[str, str], which: str) -> None:
    lower, higher = dict(metrics), dict(metrics)
    lower[which], higher[which] = "N", "H"
    assert LEVELS.index(severity(text(lower))) <= LEVELS.index(severity(text(higher)))
    if all(metrics[name] == "N" for name in IMPACTS):
        assert severity(text(metrics)) == "INFORMATIONAL"


def test_a_v4_only_advisory_has_a_severity_but_no_score() -> None:
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    advisory = {"id": "X", "severity": [{"type": "CVSS_V4", "score": vector}]}
    assert severity_of(advisory, {}) == ("CRITICAL", None)
    # A v3 vector beside it still gives the score; the vendor's word still wins.
    both = {
        "severity": [
            *advisory["severity"],
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N"},
        ]
    }
    assert severity_of(both, {}) == ("MEDIUM", 4.3)
    assert severity_of(advisory, {"ecosystem_specific": {"severity": "low"}}) == ("LOW", None)
