"""Pure evaluation of grants: patterns, precedence, expiry, deny by default."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.auth.permissions import (
    ANONYMOUS,
    Grant,
    Level,
    Principal,
    allowed,
    check_pattern,
    covers,
    grant_scopes,
    is_admin,
    level,
    matches,
)
from chalicelib.auth.scope import ResourceScope

NOW = 1_800_000_000.0
components = st.sampled_from(["team", "app", "a", "b", "x1", "secret"])
repos = st.lists(components, min_size=1, max_size=4).map("/".join)
patterns = st.one_of(
    repos,
    repos.map(lambda r: r + "/*"),
    st.just("*"),
)
levels = st.sampled_from(list(Level))
expiries = st.one_of(st.none(), st.floats(NOW - 100, NOW + 100))
grants = st.builds(Grant, patterns, levels, expiries)


def user(*gs: Grant, **kw: object) -> Principal:
    return Principal("user", "alice", tuple(gs), **kw)  # type: ignore[arg-type]


def test_examples() -> None:
    p = user(Grant("team/*", Level.PUSH), Grant("team/secret", Level.NONE), Grant("ro", Level.PULL))
    assert allowed(p, None, "team/app", "push", now=NOW)
    assert allowed(p, None, "team/a/b", "pull", now=NOW)
    assert not allowed(p, None, "team/app", "delete", now=NOW)
    assert not allowed(p, None, "team/secret", "pull", now=NOW)
    assert not allowed(p, None, "team", "pull", now=NOW)
    assert allowed(p, None, "ro", "pull", now=NOW)
    assert not allowed(p, None, "ro", "push", now=NOW)
    assert not allowed(p, None, "other", "pull", now=NOW)
    assert allowed(p, None, "other", "pull", now=NOW, public=["other"])
    assert not allowed(p, None, "other", "push", now=NOW, public=["*"])
    assert not allowed(p, None, "team/app", "frobnicate", now=NOW)


def test_admin_and_star() -> None:
    admin = user(Grant("*", Level.ADMIN))
    assert is_admin(admin, now=NOW)
    assert allowed(admin, None, "any/thing", "*", now=NOW)
    assert not is_admin(user(Grant("team/*", Level.ADMIN)), now=NOW)
    assert not is_admin(user(Grant("*", Level.ADMIN, expires_at=NOW - 1)), now=NOW)
    assert not is_admin(user(Grant("*", Level.ADMIN), disabled=True), now=NOW)


def test_inactive_principals_have_nothing() -> None:
    g = Grant("*", Level.ADMIN)
    assert not allowed(user(g, disabled=True), None, "a", "pull", now=NOW)
    assert not allowed(user(g, valid_until=NOW), None, "a", "pull", now=NOW)
    assert allowed(user(g, valid_until=NOW + 1), None, "a", "pull", now=NOW)


def test_patterns() -> None:
    for good in ["*", "team/*", "a/b/c", "a-b_c.d/e"]:
        assert check_pattern(good) == good
    for bad in ["", "/*", "team/", "Team/*", "te*m", "team/*/x", "**", "a//b", "x" * 300]:
        with pytest.raises(ValueError):
            check_pattern(bad)
    assert matches("team/*", "team/a/b") and not matches("team/*", "teams/a")
    assert not matches("team/*", "team")


@settings(max_examples=300)
@given(st.lists(grants, max_size=6), repos)
def test_deny_by_default_and_most_specific_wins(gs: list[Grant], repo: str) -> None:
    p = user(*gs)
    got = level(p, repo, now=NOW)
    live = [g for g in gs if g.live(NOW) and matches(g.pattern, repo)]
    if not live:
        assert got == Level.NONE
        return

    def rank(g: Grant) -> tuple[int, int]:
        if g.pattern == "*":
            return (0, 0)
        return (1, len(g.pattern)) if g.pattern.endswith("/*") else (2, len(g.pattern))

    top = max(rank(g) for g in live)
    assert got == max(g.level for g in live if rank(g) == top)
    # Adding a broader grant never changes the decision of a more specific one.
    broader = level(user(*gs, Grant("*", Level.ADMIN)), repo, now=NOW)
    if top > (0, 0):
        assert broader == got


@settings(max_examples=200)
@given(st.lists(grants, max_size=6), repos, st.lists(patterns, max_size=2))
def test_levels_are_cumulative_and_public_only_adds_pull(
    gs: list[Grant], repo: str, public: list[str]
) -> None:
    p = user(*gs)
    acts = ["pull", "push", "delete", "*"]
    ok = [allowed(p, None, repo, a, now=NOW, public=public) for a in acts]
    assert ok == sorted(ok, reverse=True)  # once denied, every bigger action is denied
    without = [allowed(p, None, repo, a, now=NOW) for a in acts]
    assert ok[1:] == without[1:]
    assert ANONYMOUS.grants == ()
    assert allowed(ANONYMOUS, None, repo, "pull", now=NOW, public=public) == any(
        matches(x, repo) for x in public
    )


@settings(max_examples=200)
@given(
    st.lists(grants, max_size=6),
    st.lists(
        st.builds(
            ResourceScope,
            st.sampled_from(["repository", "registry", "other"]),
            st.one_of(repos, st.sampled_from(["catalog", "admin"])),
            st.lists(
                st.sampled_from(["pull", "push", "delete", "*", "zap"]), max_size=4, unique=True
            ).map(tuple),
        ),
        max_size=4,
    ),
)
def test_token_grants_never_exceed_request_or_rights(
    gs: list[Grant], requested: list[ResourceScope]
) -> None:
    p = user(*gs)
    granted = grant_scopes(p, requested, now=NOW)
    for scope in granted:
        asked = {
            a for r in requested if (r.type, r.name) == (scope.type, scope.name) for a in r.actions
        }
        assert set(scope.actions) <= asked
        if scope.type == "repository":
            for action in scope.actions:
                assert allowed(p, None, scope.name, action, now=NOW)
        elif scope.name == "admin":
            assert (scope.type, scope.actions) == ("registry", ("*",))
            assert is_admin(p, now=NOW), "registry:admin:* only to registry admins"
        else:
            assert (scope.type, scope.name, scope.actions) == ("registry", "catalog", ("*",))
    if is_admin(p, now=NOW):
        admin = grant_scopes(p, [ResourceScope("registry", "admin", ("*",))], now=NOW)
        assert admin == [ResourceScope("registry", "admin", ("*",))]
    for scope in ("catalog", "admin"):
        asked = [ResourceScope("registry", scope, ("*",))]
        assert grant_scopes(ANONYMOUS, asked, now=NOW) == []


def test_covers() -> None:
    granted = [
        ResourceScope("repository", "a", ("pull",)),
        ResourceScope("repository", "b", ("*",)),
    ]
    assert covers(granted, ResourceScope("repository", "a", ("pull",)))
    assert not covers(granted, ResourceScope("repository", "a", ("pull", "push")))
    assert covers(granted, ResourceScope("repository", "b", ("delete",)))
    assert not covers(granted, ResourceScope("registry", "a", ("pull",)))
    assert not covers(granted, ResourceScope("repository", "c", ("pull",)))
