"""The lifecycle policy model: each rule, indexes and referrers, windows, and properties that
must hold for any repository (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.lifecycle.policy import (
    CountType,
    Manifest,
    Rule,
    TagStatus,
    evaluate,
    rollback_window,
)

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def m(name: str, age_days: float, **kwargs: object) -> Manifest:
    return Manifest(name, NOW - timedelta(days=age_days), **kwargs)  # type: ignore[arg-type]


UNTAGGED_14 = Rule(1, TagStatus.UNTAGGED, CountType.SINCE_PUSHED, 14)


def test_expire_untagged_after_n_days() -> None:
    plan = evaluate(
        [m("old", 20), m("new", 2), m("tagged", 30)], {"v": "tagged"}, [UNTAGGED_14], NOW
    )
    assert set(plan.expire) == {"old"} and plan.keep == {"new", "tagged"}
    assert plan.dry_run() == ["expire old  rule 1 (untagged: pushed more than 14 days ago)"]


def test_keep_last_n_matching_a_pattern() -> None:
    manifests = [m(f"r{i}", i) for i in range(5)] + [m("dev", 9)]
    tags = {f"release-{i}": f"r{i}" for i in range(5)} | {"dev-1": "dev"}
    rule = Rule(1, TagStatus.TAGGED, CountType.MORE_THAN, 2, ("release-*",))
    plan = evaluate(manifests, tags, [rule], NOW)
    assert set(plan.expire) == {"r2", "r3", "r4"}  # the two newest stay; dev is not selected


def test_expire_since_last_pull() -> None:
    rule = Rule(1, TagStatus.ANY, CountType.SINCE_PULLED, 30)
    manifests = [
        m("pulled", 100, last_pulled_at=NOW - timedelta(days=1)),
        m("stale", 100, last_pulled_at=NOW - timedelta(days=40)),
        m("never-old", 40),
        m("never-new", 5),
    ]
    assert set(evaluate(manifests, {}, [rule], NOW).expire) == {"stale", "never-old"}


def test_first_rule_that_selects_an_image_decides() -> None:
    keep_releases = Rule(1, TagStatus.TAGGED, CountType.MORE_THAN, 100, ("v*",))
    expire_all_old = Rule(2, TagStatus.ANY, CountType.SINCE_PUSHED, 7)
    plan = evaluate([m("a", 30), m("b", 30)], {"v1": "a"}, [expire_all_old, keep_releases], NOW)
    assert set(plan.expire) == {"b"}


def test_children_of_a_kept_index_and_referrers_of_a_kept_manifest_stay() -> None:
    manifests = [
        m("index", 1, children=("amd64", "arm64")),
        m("amd64", 30),
        m("arm64", 30),
        m("sig", 30, subject="index"),
        m("sig-of-sig", 30, subject="sig"),
        m("orphan", 30),
    ]
    plan = evaluate(manifests, {"latest": "index"}, [UNTAGGED_14], NOW)
    assert set(plan.expire) == {"orphan"}
    assert plan.rescued["amd64"] == "child of kept index index"
    assert plan.rescued["sig-of-sig"] == "referrer of kept manifest sig"


def test_rollback_window_and_pins_protect() -> None:
    moves = {"v": [(None, "a"), ("a", "b"), ("b", "c")], "once": [(None, "d")]}
    # What a rollback returns to; the current targets (c, d) are judged by the rules.
    assert rollback_window(moves, 2) == {"a", "b"}
    assert rollback_window(moves, 1) == {"b"}
    assert rollback_window(moves, 0) == set()
    assert rollback_window({"gone": [(None, "a"), ("a", None)]}, 1) == {"a"}
    plan = evaluate(
        [m("a", 30), m("b", 30), m("c", 30)], {}, [UNTAGGED_14], NOW, protected={"b"}, pinned={"c"}
    )
    assert set(plan.expire) == {"a"}
    assert plan.rescued == {
        "b": "inside a tag's rollback window",
        "c": "pinned (an immutable tag points at it)",
    }


# --------------------------------------------------------------------------- properties

NAMES = [f"m{i}" for i in range(12)]


@st.composite
def repositories(draw: st.DrawFn) -> tuple[list[Manifest], dict[str, str]]:
    count = draw(st.integers(1, len(NAMES)))
    names = NAMES[:count]
    manifests = []
    for i, name in enumerate(names):
        earlier = names[:i]  # children and subjects point at earlier manifests: no cycles
        children = (
            tuple(draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)))
            if earlier
            else ()
        )
        subject = draw(st.sampled_from([None, *earlier])) if earlier else None
        pulled = draw(st.none() | st.integers(0, 60))
        manifests.append(
            Manifest(
                name,
                NOW - timedelta(days=draw(st.integers(0, 60))),
                None if pulled is None else NOW - timedelta(days=pulled),
                children,
                subject,
            )
        )
    tag_names = draw(
        st.lists(st.sampled_from(["latest", "v1", "v2", "dev-a", "dev-b"]), unique=True)
    )
    tags = {t: draw(st.sampled_from(names)) for t in tag_names}
    return manifests, tags


rules_strategy = st.lists(
    st.builds(
        Rule,
        priority=st.integers(1, 5),
        tag_status=st.sampled_from(TagStatus),
        count_type=st.sampled_from(CountType),
        value=st.integers(0, 40),
        patterns=st.lists(st.sampled_from(["v*", "dev-*", "latest", "*"]), max_size=2).map(tuple),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    repositories(), rules_strategy, st.sets(st.sampled_from(NAMES)), st.sets(st.sampled_from(NAMES))
)
def test_a_plan_never_breaks_what_it_keeps(
    repository: tuple[list[Manifest], dict[str, str]],
    rules: list[Rule],
    protected: set[str],
    pinned: set[str],
) -> None:
    manifests, tags = repository
    plan = evaluate(manifests, tags, rules, NOW, protected=protected, pinned=pinned)
    digests = {x.digest for x in manifests}
    assert plan.keep | set(plan.expire) == digests and not plan.keep & set(plan.expire)
    assert not (protected | pinned) & set(plan.expire)
    for manifest in manifests:
        if manifest.digest in plan.keep:
            assert set(manifest.children) <= plan.keep
        if manifest.subject in plan.keep:
            assert manifest.digest in plan.keep
    # Nothing expires that no rule selected.
    for digest in plan.expire:
        names = [t for t, d in tags.items() if d == digest]
        assert any(r.selects(names) for r in rules)
    assert len(plan.dry_run()) == len(plan.expire) + len(plan.rescued)


@settings(max_examples=100, deadline=None)
@given(repositories(), st.integers(0, 40))
def test_untagged_rules_never_expire_a_tagged_manifest(
    repository: tuple[list[Manifest], dict[str, str]], days: int
) -> None:
    manifests, tags = repository
    rule = Rule(1, TagStatus.UNTAGGED, CountType.SINCE_PUSHED, days)
    plan = evaluate(manifests, tags, [rule], NOW)
    assert not set(tags.values()) & set(plan.expire)


@settings(max_examples=100, deadline=None)
@given(repositories(), st.integers(0, 40), st.integers(0, 40))
def test_a_longer_age_expires_no_more(
    repository: tuple[list[Manifest], dict[str, str]], a: int, b: int
) -> None:
    manifests, tags = repository
    short, long = sorted((a, b))
    plans = [
        evaluate(manifests, tags, [Rule(1, TagStatus.ANY, CountType.SINCE_PUSHED, d)], NOW)
        for d in (short, long)
    ]
    assert set(plans[1].expire) <= set(plans[0].expire)
