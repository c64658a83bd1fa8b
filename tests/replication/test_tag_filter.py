"""Which tags a rule replicates (chalicelib/replication/tag_filter.py), as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.replication.tag_filter import TagFilterError, check, selects

tags = st.from_regex(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,40}", fullmatch=True)


@given(tags)
def test_no_filter_replicates_every_tag(tag: str) -> None:
    assert selects(["*"], [], tag)
    assert selects([], [], tag)


@given(tags, st.lists(tags, max_size=3))
def test_an_exclusion_always_wins(tag: str, include: list[str]) -> None:
    assert not selects([*include, "*"], [tag], tag)


@given(tags, tags)
def test_an_exact_include_selects_only_that_tag(tag: str, other: str) -> None:
    assert selects([tag], [], tag)
    assert selects([tag], [], other) == (tag == other)


def test_globs_and_untagged_pushes() -> None:
    assert selects(["v*"], ["*-rc*"], "v1.2")
    assert not selects(["v*"], ["*-rc*"], "v1.2-rc1")
    assert not selects(["v*"], [], "latest")
    assert selects(["*"], [], None)  # a push by digest: only under a rule for every tag
    assert not selects(["v*"], [], None)
    assert not selects(["*"], ["dev"], None)


@pytest.mark.parametrize("bad", ["a b", "x/y", "", "é", "a" * 129])
def test_bad_globs_are_refused(bad: str) -> None:
    with pytest.raises(TagFilterError):
        check([bad])
