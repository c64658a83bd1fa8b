"""A refusal told per advisory (chalicelib/scanning/refusal_summary.py): every advisory once,
in the order of its worst entry, with each of its packages once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.refusal_summary import Blocking, by_advisory, describe

entries = st.lists(
    st.tuples(
        st.sampled_from(["A-1", "A-2", "A-3", "B-9"]),
        st.sampled_from(["libc6", "libc-bin", "bash", "zlib1g", "locales"]),
        st.sampled_from(["CRITICAL", "HIGH"]),
    ),
    max_size=30,
)


@given(entries)
def test_every_advisory_once_with_all_its_packages(worst: list[tuple[str, str, str]]) -> None:
    grouped = by_advisory(worst)
    ids = [b.id for b in grouped]
    assert ids == list(dict.fromkeys(i for i, _, _ in worst))
    for blocking in grouped:
        expected = list(dict.fromkeys(p for i, p, _ in worst if i == blocking.id))
        assert list(blocking.packages) == expected
        assert blocking.severity == next(s for i, _, s in worst if i == blocking.id)


@given(entries, st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=5))
def test_describe_names_the_first_and_counts_the_rest(
    worst: list[tuple[str, str, str]], unnamed: int, shown: int
) -> None:
    grouped = by_advisory(worst)
    text = describe(grouped, unnamed, shown)
    for blocking in grouped[:shown]:
        assert text.count(f"{blocking.id} (") == 1
    for blocking in grouped[shown:]:
        assert f"{blocking.id} (" not in text
    if len(grouped) > shown:
        assert f"{len(grouped) - shown} more advisor" in text
    if unnamed:
        assert f"{unnamed} more finding" in text


def test_the_glibc_case_from_the_user_trial() -> None:
    worst = [("DSA-1", p, "CRITICAL") for p in ("libc-bin", "libc-dev-bin", "libc6", "locales")]
    grouped = by_advisory([*worst, ("DSA-3", "bash", "CRITICAL")])
    assert grouped == (
        Blocking("DSA-1", "CRITICAL", ("libc-bin", "libc-dev-bin", "libc6", "locales")),
        Blocking("DSA-3", "CRITICAL", ("bash",)),
    )
    assert describe(grouped, 0, 5) == (
        "DSA-1 (libc-bin, libc-dev-bin, libc6 and 1 more package, CRITICAL), DSA-3 (bash, CRITICAL)"
    )
    assert describe(grouped, 2, 1, lower=True) == (
        "DSA-1 (libc-bin, libc-dev-bin, libc6 and 1 more package, critical) and 1 more advisory"
        " and 2 more findings not listed"
    )
