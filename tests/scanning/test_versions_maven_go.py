"""Maven's ComparableVersion ordering (chalicelib/scanning/versions/maven.py) and Go's module
versions (semantic versions with `v`, pseudo-versions, `+incompatible`): the orderings Maven
documents, qualifier ranks property-tested over generated versions, and total orders."""

from __future__ import annotations

from functools import cmp_to_key
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.versions import maven
from chalicelib.scanning.versions.ecosystems import version_key

# The two orderings Maven's ComparableVersion documentation and its own tests spell out.
MAVEN_QUALIFIERS = [
    "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
    "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc",
    "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
]  # fmt: skip
MAVEN_NUMBERS = [
    "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
    "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
    "11.m11", "11", "11.a", "11b", "11c", "11m",
]  # fmt: skip


def test_maven_documented_orders() -> None:
    for ascending in (MAVEN_QUALIFIERS, MAVEN_NUMBERS):
        for i, lower in enumerate(ascending):
            for higher in ascending[i + 1 :]:
                assert maven.compare(lower, higher) < 0, (lower, higher)
                assert maven.compare(higher, lower) > 0, (lower, higher)


def test_maven_equal_spellings() -> None:
    for same in ["1.0", "1.0.0", "1-0", "1-ga", "1.0-final", "1-release", "1.0.0-GA", "1.ga"]:
        assert maven.compare("1", same) == 0, same
    assert maven.compare("1.0-cr1", "1.0-rc1") == 0
    assert maven.compare("1.0-a1", "1.0-alpha-1") == 0
    assert maven.compare("1.0-RC1", "1.0-rc-1") == 0


base_versions = st.lists(st.integers(0, 30), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)


@settings(max_examples=200, deadline=None)
@given(base=base_versions, number=st.integers(1, 99), higher=st.integers(1, 99))
def test_maven_qualifiers_rank_below_and_above_the_release(
    base: str, number: int, higher: int
) -> None:
    ascending = [
        f"{base}-alpha-{number}",
        f"{base}-beta-{number}",
        f"{base}-milestone-{number}",
        f"{base}-rc-{number}",
        f"{base}-SNAPSHOT",
        base,
        f"{base}-sp-{number}",
    ]
    for lower, upper in pairwise(ascending):
        assert maven.compare(lower, upper) < 0, (lower, upper)
    assert maven.compare(f"{base}-cr-{number}", f"{base}-rc-{number}") == 0
    for release in ("ga", "final", "release", "GA"):
        assert maven.compare(f"{base}-{release}", base) == 0
    if number < higher:
        assert maven.compare(f"{base}-rc-{number}", f"{base}-rc-{higher}") < 0
        assert maven.compare(f"{base}.{number}", f"{base}.{higher}") < 0


maven_versions = st.text(alphabet="0123456789.-abcmrsp", max_size=10) | st.sampled_from(
    MAVEN_QUALIFIERS + MAVEN_NUMBERS
)


@settings(max_examples=400, deadline=None)
@given(a=maven_versions, b=maven_versions, c=maven_versions)
def test_maven_is_a_total_order(a: str, b: str, c: str) -> None:
    assert maven.compare(a, a) == 0
    assert (maven.compare(a, b) > 0) == (maven.compare(b, a) < 0)
    ordered = sorted([a, b, c], key=cmp_to_key(maven.compare))
    assert maven.compare(ordered[0], ordered[1]) <= 0
    assert maven.compare(ordered[1], ordered[2]) <= 0
    assert maven.compare(ordered[0], ordered[2]) <= 0


GO_ASCENDING = [
    "v0.0.0-20190101000000-aaaaaaaaaaaa",  # pseudo-version before any tag
    "v0.0.0-20230101000000-bbbbbbbbbbbb",
    "v0.1.0",
    "v1.2.3",
    "v1.2.4-0.20230101000000-cccccccccccc",  # commit after v1.2.3, before v1.2.4
    "v1.2.4-pre",
    "v1.2.4-pre.0.20230201000000-dddddddddddd",  # commit after the pre-release v1.2.4-pre
    "v1.2.4",
    "v2.0.0+incompatible",
    "v2.1.0+incompatible",
    "v3.0.0",
]


def test_go_module_versions() -> None:
    key = version_key("Go")
    for lower, higher in pairwise(GO_ASCENDING):
        assert key(lower) < key(higher), (lower, higher)
    # OSV's Go records give versions without the `v` the binaries carry.
    assert key("v1.2.3") == key("1.2.3")
    assert key("v2.0.0+incompatible") == key("2.0.0")


timestamps = st.integers(2019_01_01_000000, 2029_12_31_235959).map(str)


@settings(max_examples=200, deadline=None)
@given(
    major=st.integers(0, 20),
    minor=st.integers(0, 50),
    patch=st.integers(0, 50),
    first=timestamps,
    second=timestamps,
)
def test_go_pseudo_versions_order_by_time_between_their_tags(
    major: int, minor: int, patch: int, first: str, second: str
) -> None:
    key = version_key("Go")
    tag = f"v{major}.{minor}.{patch}"
    following = f"v{major}.{minor}.{patch + 1}"
    early = f"v{major}.{minor}.{patch + 1}-0.{min(first, second)}-abcdefabcdef"
    late = f"v{major}.{minor}.{patch + 1}-0.{max(first, second)}-abcdefabcdef"
    assert key(tag) < key(early) <= key(late) < key(following)
    assert key(f"{tag}+incompatible") == key(tag)


def test_crates_io_uses_semantic_versions() -> None:
    key = version_key("crates.io")
    ascending = ["0.1.0", "0.9.9", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.6.0", "1.10.0"]
    for lower, higher in pairwise(ascending):
        assert key(lower) < key(higher)
    assert version_key("Maven")("2.14.1") < version_key("Maven")("2.15.0")
