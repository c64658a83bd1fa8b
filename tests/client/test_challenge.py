"""The `WWW-Authenticate` parser (chalicelib/remote/challenge.py): generated challenges survive a
round trip, quoted strings keep their commas and escaped quotes, several challenges share a
header, and malformed input raises only ChallengeError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.remote.challenge import Challenge, ChallengeError, parse_challenge, parse_challenges

_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
tokens = st.text(_TCHARS, min_size=1, max_size=12)
# Printable ASCII with the characters that break naive parsers made likely.
values = st.text(
    st.one_of(
        st.sampled_from([",", '"', "\\", " ", "=", ";"]),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    ),
    max_size=30,
)
spaces = st.sampled_from(["", " ", "  ", "\t"])


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def challenges(draw: st.DrawFn) -> tuple[Challenge, str]:
    """A challenge and one of the many ways a server may write it."""
    scheme = draw(tokens)
    names = draw(st.lists(tokens, max_size=4, unique_by=str.lower))
    params = {name.lower(): draw(values) for name in names}
    parts = []
    for name in names:
        value = params[name.lower()]
        bare = value and all(c in _TCHARS for c in value) and draw(st.booleans())
        written = value if bare else _quote(value)
        parts.append(name + draw(spaces) + "=" + draw(spaces) + written)
    separator = draw(spaces) + "," + draw(spaces)
    text = scheme + (" " + separator.join(parts) if parts else "")
    return Challenge(scheme, params), text


@settings(max_examples=300)
@given(st.lists(challenges(), max_size=4), spaces)
def test_generated_challenges_round_trip(written: list[tuple[Challenge, str]], ows: str) -> None:
    header = (ows + "," + ows).join(text for _, text in written)
    assert parse_challenges(header) == tuple(challenge for challenge, _ in written)


@given(challenges())
def test_first_challenge_is_the_one(written: tuple[Challenge, str]) -> None:
    challenge, text = written
    assert parse_challenge(text + ', Basic realm="other"') == challenge


@given(values)
def test_quoted_values_keep_commas_quotes_and_backslashes(value: str) -> None:
    header = f"Bearer realm={_quote(value)},service=registry"
    assert parse_challenge(header).params == {"realm": value, "service": "registry"}


def test_several_challenges_in_one_header() -> None:
    header = (
        'Negotiate YIIB+w==, Bearer realm="https://r.example/token?a=1,b=2",'
        'scope="repository:a/b:pull,push", , Basic realm="say \\"hi\\""'
    )
    assert parse_challenges(header) == (
        Challenge("Negotiate", {}),
        Challenge(
            "Bearer",
            {"realm": "https://r.example/token?a=1,b=2", "scope": "repository:a/b:pull,push"},
        ),
        Challenge("Basic", {"realm": 'say "hi"'}),
    )


def test_scheme_is_kept_and_compared_without_case() -> None:
    scheme, params = parse_challenge('BEARER Realm="x"')
    assert scheme == "BEARER" and params == {"realm": "x"}
    assert Challenge(scheme, params).is_scheme("bearer")


@pytest.mark.parametrize(
    "header",
    [
        "",
        " , ",
        'Bearer realm="unterminated',
        'Bearer realm="dangling\\',
        "Bearer realm=,service=r",
        "Bearer =x",
        "Bearer realm=a b",
        'Bearer realm="a", REALM="b"',
        'Bearer realm="a"x',
        '"Bearer"',
        'Bearer realm="a\x01"',
    ],
)
def test_malformed_values_are_refused(header: str) -> None:
    with pytest.raises(ChallengeError):
        parse_challenge(header)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_fuzz_raises_only_challenge_error(text: str) -> None:
    try:
        parse_challenges(text)
    except ChallengeError:
        pass
