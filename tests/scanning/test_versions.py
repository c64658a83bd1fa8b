"""Version orderings per ecosystem (chalicelib/scanning/versions): known pairs from each
format's documentation, dpkg checked against dpkg itself, and every comparator a total order
(antisymmetric, transitive) over generated versions."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from functools import cmp_to_key
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.versions import apk, dpkg, pep440, rpm, semver


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def key_compare(key: Callable[[str], Any]) -> Callable[[str, str], int]:
    def compare(a: str, b: str) -> int:
        left, right = key(a), key(b)
        return -1 if left < right else 1 if left > right else 0

    return compare


def assert_sorted(key: Callable[[str], Any], ascending: list[str]) -> None:
    """Each version strictly below the next."""
    for lower, higher in pairwise(ascending):
        assert key(lower) < key(higher), (lower, higher)
        assert key(higher) > key(lower), (lower, higher)


# Debian Policy 5.6.12: "~~" < "~~a" < "~" < "" < "a"; epochs trump everything after them.
DPKG_ASCENDING = [
    "1.0~~",
    "1.0~~a",
    "1.0~",
    "1.0~rc1",
    "1.0",
    "1.0-0.1",
    "1.0-1~bpo12+1",
    "1.0-1",
    "1.0-1+b1",
    "1.0-1+deb12u1",
    "1.0a",
    "1.0+dfsg",
    "1.0.1",
    "1.2",
    "1.10",
    "1:0.9",
    "2:0.1",
]


def test_dpkg_known_order() -> None:
    assert_sorted(dpkg.key, DPKG_ASCENDING)
    assert dpkg.compare("1.0", "1.00") == 0
    assert dpkg.compare("0:1.0", "1.0") == 0
    assert dpkg.compare("1.0-0", "1.0") == 0


def dpkg_says(a: str, b: str) -> int:
    for op, result in (("lt", -1), ("eq", 0)):
        if subprocess.run(["dpkg", "--compare-versions", a, op, b], check=False).returncode == 0:
            return result
    return 1


dpkg_versions = st.builds(
    lambda epoch, upstream, revision: f"{epoch}{upstream}{revision}",
    st.sampled_from(["", "", "1:", "2:"]),
    st.from_regex(r"[0-9][0-9a-z.+~]{0,6}", fullmatch=True),
    st.sampled_from(["", "-1", "-2~bpo1", "-1+b1", "-0", "-10"]),
)


@settings(max_examples=60, deadline=None)
@given(a=dpkg_versions, b=dpkg_versions)
def test_dpkg_agrees_with_dpkg(a: str, b: str) -> None:
    assert sign(dpkg.compare(a, b)) == dpkg_says(a, b)


# rpm's documented rpmvercmp cases: `~` sorts before the base, `^` after it but before any
# further segment; numbers beat letters; separators only separate.
RPM_ASCENDING = [
    "1.0~rc1",
    "1.0~rc1^git1",
    "1.0",
    "1.0^",
    "1.0^git1",
    "1.0^git2",
    "1.0a",
    "1.0.1",
    "1.0.2",
    "1.1",
    "1.01.1",
    "1.10",
    "1:0.1",
]


def test_rpm_known_order() -> None:
    assert_sorted(rpm.key, RPM_ASCENDING)
    assert rpm.compare("2_0", "2.0") == 0
    assert rpm.compare("1.0010", "1.10") == 0
    assert rpm.compare("5.5p1", "5.5p10") < 0
    assert rpm.compare("1.0^git1~pre", "1.0^git1") < 0
    assert rpm.compare("3.0.7-25.el9", "3.0.7-25.el9_3") < 0
    assert rpm.compare("1:3.0.7-25.el9", "3.0.8-1.el9") > 0
    assert rpm.compare("0:3.0.7-1", "3.0.7-1") == 0


# apk: pre-release suffixes below the release, post-release ones (cvs, svn, git, hg, p) above,
# a revision above the bare version but below any suffix or letter.
APK_ASCENDING = [
    "1.0_alpha",
    "1.0_alpha1",
    "1.0_beta",
    "1.0_pre1",
    "1.0_rc1",
    "1.0_rc2",
    "1.0",
    "1.0-r1",
    "1.0-r10",
    "1.0_cvs",
    "1.0_svn",
    "1.0_git20230101",
    "1.0_git20240101",
    "1.0_git20240101-r1",
    "1.0_hg",
    "1.0_p1",
    "1.0_p2",
    "1.0_p10",
    "1.0a",
    "1.0b",
    "1.0.1",
    "1.05",
    "1.1_alpha1",
    "1.1_alpha1_p1",
    "1.1",
    "1.2.3",
    "1.10",
    "2",
]


def test_apk_known_order() -> None:
    assert_sorted(apk.key, APK_ASCENDING)
    assert apk.key("1.2.4_git20230717-r4") < apk.key("1.2.4_git20230717-r5")
    assert apk.key("1.2.4") < apk.key("1.2.4_git20230717-r5") < apk.key("1.2.5")
    assert apk.key("1.2.3_git20230717") > apk.key("1.2.3")
    assert apk.key("1.001") < apk.key("1.01") < apk.key("1.1")


@pytest.mark.parametrize("bad", ["", "abc", "1.0-x", "1.0__", "1.0_foo", "1.0ab", "1-r1.2", "1..2"])
def test_apk_refuses_what_is_not_an_apk_version(bad: str) -> None:
    with pytest.raises(ScanInputError):
        apk.key(bad)


apk_versions = st.builds(
    lambda numbers, letter, suffixes, revision: (
        ".".join(numbers) + letter + "".join(suffixes) + revision
    ),
    st.lists(st.from_regex(r"0|00|01|[1-9][0-9]?", fullmatch=True), min_size=1, max_size=3),
    st.sampled_from(["", "", "a", "b"]),
    st.lists(
        st.builds(
            lambda name, number: f"_{name}{number}",
            st.sampled_from(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"]),
            st.sampled_from(["", "1", "2", "20230717"]),
        ),
        max_size=2,
    ),
    st.sampled_from(["", "-r0", "-r1", "-r10"]),
)


# The known orders (Semantic Versioning 2.0, item 11).
SEMVER_ASCENDING = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "v1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0-0.20230101000000-abcdefabcdef",
    "2.0.0",
]


def test_semver_known_order() -> None:
    assert_sorted(semver.key, SEMVER_ASCENDING)
    assert semver.key("1.0.0+build.1") == semver.key("1.0.0")
    assert semver.key("v2.3.4+incompatible") == semver.key("2.3.4")
    with pytest.raises(ScanInputError):
        semver.key("1.0")


def test_pep440_known_order() -> None:
    assert_sorted(
        pep440.key,
        ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "1!0.1"],
    )
    with pytest.raises(ScanInputError):
        pep440.key("not a version")


semver_versions = st.builds(
    lambda core, pre: core + pre,
    st.from_regex(r"v?(0|[1-9])\.(0|1|10)\.(0|2)", fullmatch=True),
    st.sampled_from(["", "-alpha", "-alpha.1", "-1", "-beta.2", "-beta.11", "-0.a"]),
)

COMPARATORS: dict[str, tuple[Callable[[str, str], int], st.SearchStrategy[str]]] = {
    "dpkg": (dpkg.compare, dpkg_versions | st.text(alphabet="0123456789.~+-:a", max_size=8)),
    "rpm": (rpm.compare, st.text(alphabet="0123456789.~^-_:az", max_size=8)),
    "apk": (key_compare(apk.key), apk_versions),
    "semver": (key_compare(semver.key), semver_versions),
}


@pytest.mark.parametrize("name", sorted(COMPARATORS))
def test_comparators_are_total_orders(name: str) -> None:
    compare, versions = COMPARATORS[name]

    @settings(max_examples=300, deadline=None)
    @given(a=versions, b=versions, c=versions)
    def check(a: str, b: str, c: str) -> None:
        assert compare(a, a) == 0
        assert sign(compare(a, b)) == -sign(compare(b, a))
        ordered = sorted([a, b, c], key=cmp_to_key(compare))
        assert compare(ordered[0], ordered[1]) <= 0
        assert compare(ordered[1], ordered[2]) <= 0
        assert compare(ordered[0], ordered[2]) <= 0
        if compare(a, b) == 0 and compare(b, c) == 0:
            assert compare(a, c) == 0

    check()
