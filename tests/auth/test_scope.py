"""Scope strings and the Bearer challenge: round trips and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.auth.scope import (
    ResourceScope,
    ScopeError,
    bearer_challenge,
    format_scopes,
    parse_scope,
    parse_scopes,
)
from chalicelib.remote.challenge import parse_challenge

_alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_component = st.tuples(
    _alnum, st.lists(st.tuples(st.sampled_from([".", "_", "__", "-", "--"]), _alnum), max_size=2)
).map(lambda t: t[0] + "".join(s + p for s, p in t[1]))
_host = st.tuples(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,5}[a-z0-9])?(\.[a-z0-9]{1,5}){0,2}", fullmatch=True),
    st.one_of(st.none(), st.integers(1, 65535)),
).map(lambda t: t[0] if t[1] is None else f"{t[0]}:{t[1]}")
names = st.tuples(st.one_of(st.none(), _host), st.lists(_component, min_size=1, max_size=4)).map(
    lambda t: ("" if t[0] is None else t[0] + "/") + "/".join(t[1])
)
actions = st.lists(
    st.sampled_from(["pull", "push", "delete", "*", "x"]), min_size=1, max_size=4, unique=True
)
scopes = st.builds(
    ResourceScope, st.sampled_from(["repository", "registry", "x1"]), names, actions.map(tuple)
)


def test_examples() -> None:
    assert parse_scope("repository:team/app:pull,push") == ResourceScope(
        "repository", "team/app", ("pull", "push")
    )
    port = parse_scope("repository:localhost:5000/app:pull")
    assert (port.name, port.actions) == ("localhost:5000/app", ("pull",))
    plugin = parse_scope("repository(plugin):team/app:pull")
    assert plugin == ResourceScope("repository", "team/app", ("pull",))
    assert plugin.resource_class == "plugin"
    assert plugin.format() == "repository:team/app:pull"
    assert parse_scope("registry:catalog:*") == ResourceScope("registry", "catalog", ("*",))
    assert parse_scope("repository:a:").actions == ()
    assert parse_scope("repository:a:pull,pull,,push").actions == ("pull", "push")


@settings(max_examples=200)
@given(scopes)
def test_round_trip(scope: ResourceScope) -> None:
    assert parse_scope(scope.format()) == scope


@settings(max_examples=100)
@given(st.lists(scopes, max_size=5))
def test_many_round_trip_and_merge(many: list[ResourceScope]) -> None:
    parsed = parse_scopes([format_scopes(many)])
    again = parse_scopes([s.format() for s in many])
    assert parsed == again
    for scope in many:
        merged = next(p for p in parsed if (p.type, p.name) == (scope.type, scope.name))
        assert set(scope.actions) <= set(merged.actions)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "repository",
        "repository:app",
        ":app:pull",
        "Repository:app:pull",
        "repository:App:pull",
        "repository:app:PULL",
        "repository:app:pull;rm",
        "repository:/app:pull",
        "repository:app/:pull",
        "repository:a//b:pull",
        "repository:host:port/app:pull",
        "repository:a:b:c:pull",
        "repository(:app:pull",
        "repository(x)(y):app:pull",
        "repository:app:pu ll",
        "repository:" + "a" * 300 + ":pull",
        "repository:app:pull\n",
        "repository:\u00e9:pull",
    ],
)
def test_malformed(bad: str) -> None:
    with pytest.raises(ScopeError):
        parse_scope(bad)


@settings(max_examples=500)
@given(st.text(max_size=80))
def test_fuzz_raises_only_scope_error(text: str) -> None:
    try:
        scope = parse_scope(text)
    except ScopeError:
        return
    assert parse_scope(scope.format()) == scope


@settings(max_examples=300)
@given(st.lists(st.text(max_size=40), max_size=4))
def test_fuzz_many(values: list[str]) -> None:
    try:
        parse_scopes(values)
    except ScopeError:
        pass


@settings(max_examples=100)
@given(st.lists(scopes, max_size=3), st.sampled_from([None, "invalid_token", "insufficient_scope"]))
def test_challenge_round_trip(many: list[ResourceScope], error: str | None) -> None:
    realm = 'https://reg.example.com/token?x="y"\\z'
    header = bearer_challenge(realm, "berth", many, error=error)
    scheme, params = parse_challenge(header)
    assert scheme == "Bearer"
    assert params["realm"] == realm
    assert params["service"] == "berth"
    assert parse_scopes([params.get("scope", "")]) == parse_scopes([format_scopes(many)])
    assert params.get("error") == error


def test_challenge_shape() -> None:
    header = bearer_challenge(
        "https://r.example/token", "berth", [parse_scope("repository:a/b:pull,push")]
    )
    assert header == (
        'Bearer realm="https://r.example/token",service="berth",scope="repository:a/b:pull,push"'
    )
    with pytest.raises(ScopeError):
        bearer_challenge("https://r.example/\r\nX-Evil: 1", "berth")
