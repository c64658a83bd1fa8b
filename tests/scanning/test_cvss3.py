"""CVSS v3 base scores (chalicelib/scanning/cvss3.py): vectors with their published scores, and
the score's shape and monotonicity over every vector."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.cvss3 import base_score, rating
from chalicelib.scanning.errors import ScanInputError


@pytest.mark.parametrize(
    ("vector", "score", "severity"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "CRITICAL"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "MEDIUM"),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "MEDIUM"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "HIGH"),
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "HIGH"),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "LOW"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "INFORMATIONAL"),
        ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "MEDIUM"),
        # Temporal metrics after the base ones do not change the base score.
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O", 9.8, "CRITICAL"),
    ],
)
def test_published_scores(vector: str, score: float, severity: str) -> None:
    assert base_score(vector) == score
    assert rating(base_score(vector)) == severity


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ],
)
def test_bad_vectors_are_refused(vector: str) -> None:
    with pytest.raises(ScanInputError):
        base_score(vector)


def vector(metrics: dict[str, str]) -> str:
    order = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")
    return "CVSS:3.1/" + "/".join(f"{m}:{metrics[m]}" for m in order)


vectors = st.fixed_dictionaries(
    {
        "AV": st.sampled_from("NALP"),
        "AC": st.sampled_from("LH"),
        "PR": st.sampled_from("NLH"),
        "UI": st.sampled_from("NR"),
        "S": st.sampled_from("UC"),
        "C": st.sampled_from("NLH"),
        "I": st.sampled_from("NLH"),
        "A": st.sampled_from("NLH"),
    }
)


@given(metrics=vectors, raised=st.sampled_from("CIA"))
def test_scores_are_one_decimal_and_grow_with_impact(metrics: dict[str, str], raised: str) -> None:
    score = base_score(vector(metrics))
    assert 0 <= score <= 10 and round(score, 1) == score
    worse = {**metrics, raised: "H"}
    assert base_score(vector(worse)) >= score
