"""`WWW-Authenticate` values (RFC 9110 section 11.6.1): the challenges a 401 carries.

A registry may offer several challenges in one header (`Bearer realm="…", Basic realm="…"`),
and a quoted value may hold commas and escaped quotes (a realm URL with a query, a scope list),
so the value is read with the grammar rather than split on commas:

    challenges = challenge *( OWS "," OWS challenge )      (empty list elements allowed)
    challenge  = scheme [ 1*SP ( token68 / #( name BWS "=" BWS ( token / quoted-string ) ) ) ]

Scheme and parameter names are case-insensitive: names are lower-cased, the scheme is kept as
sent (compare it with `Challenge.is_scheme`). A token68 (`Negotiate <blob>`: schemes no
registry protocol uses) is read past so the challenges after it parse, but not kept. Malformed
input raises `ChallengeError` and nothing else: the value comes from whatever registry the
user points the client at.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_SPACE = " \t"
# qdtext and the characters a quoted-pair may escape: HTAB, SP, VCHAR, obs-text.
_QUOTED_TEXT = re.compile(r"[\t\x20-\x7e\x80-\xff]")


class ChallengeError(ValueError):
    """A `WWW-Authenticate` value that does not follow the grammar."""


class Challenge(NamedTuple):
    """One challenge: its scheme and its parameters.

    A tuple, so `scheme, params = parse_challenge(value)` reads naturally."""

    scheme: str
    params: dict[str, str]

    def is_scheme(self, name: str) -> bool:
        return self.scheme.lower() == name.lower()


class _Reader:
    """A position in the header value, and the grammar's pieces read from there."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.text)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def skip_space(self) -> bool:
        start = self.at
        while self.peek() and self.peek() in _SPACE:
            self.at += 1
        return self.at > start

    def skip_separators(self) -> None:
        """OWS and commas: the empty list elements the list grammar allows."""
        while self.peek() and self.peek() in _SPACE + ",":
            self.at += 1

    def match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.at)
        if found is None:
            return None
        self.at = found.end()
        return found.group()

    def quoted(self) -> str:
        """A quoted-string starting at the opening quote, unescaped."""
        self.at += 1
        chars: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise ChallengeError("unterminated quoted string")
            self.at += 1
            if char == '"':
                return "".join(chars)
            if char == "\\":
                char = self.peek()
                if not char:
                    raise ChallengeError("dangling escape in a quoted string")
                self.at += 1
            if _QUOTED_TEXT.fullmatch(char) is None:
                raise ChallengeError("control character in a quoted string")
            chars.append(char)

    def at_parameter(self) -> bool:
        """Whether a parameter (`name =`) starts here, rather than the next challenge."""
        start = self.at
        try:
            if self.match(_TOKEN) is None:
                return False
            self.skip_space()
            return self.peek() == "="
        finally:
            self.at = start

    def at_token68(self) -> bool:
        """Whether a token68 fills the rest of this challenge (up to a comma or the end)."""
        start = self.at
        try:
            if self.match(_TOKEN68) is None:
                return False
            self.skip_space()
            return self.peek() in ("", ",")
        finally:
            self.at = start


def _parameters(reader: _Reader) -> dict[str, str]:
    params: dict[str, str] = {}
    while True:
        name = reader.match(_TOKEN)
        if name is None:
            raise ChallengeError("expected a parameter name")
        reader.skip_space()
        if reader.peek() != "=":
            raise ChallengeError(f"parameter {name[:40]!r} without '='")
        reader.at += 1
        reader.skip_space()
        if reader.peek() == '"':
            value = reader.quoted()
        else:
            token = reader.match(_TOKEN)
            if token is None:
                raise ChallengeError(f"parameter {name[:40]!r} has no value")
            value = token
        key = name.lower()
        if key in params:
            raise ChallengeError(f"parameter {key[:40]!r} given twice")
        params[key] = value
        reader.skip_space()
        if reader.done():
            return params
        if reader.peek() != ",":
            raise ChallengeError(f"unexpected {reader.peek()!r} after parameter {key[:40]!r}")
        reader.skip_separators()
        if reader.done() or not reader.at_parameter():
            return params


def parse_challenges(value: str) -> tuple[Challenge, ...]:
    """Every challenge in a `WWW-Authenticate` value, in order (none for an empty value)."""
    reader = _Reader(value)
    found: list[Challenge] = []
    while True:
        reader.skip_separators()
        if reader.done():
            return tuple(found)
        scheme = reader.match(_TOKEN)
        if scheme is None:
            raise ChallengeError(f"expected an auth scheme at {reader.peek()!r}")
        spaced = reader.skip_space()
        if reader.done() or reader.peek() == ",":
            found.append(Challenge(scheme, {}))
        elif not spaced:
            raise ChallengeError(f"unexpected {reader.peek()!r} after scheme {scheme[:40]!r}")
        elif reader.at_token68():
            reader.match(_TOKEN68)
            found.append(Challenge(scheme, {}))
            reader.skip_space()
        else:
            found.append(Challenge(scheme, _parameters(reader)))


def parse_challenge(value: str) -> Challenge:
    """The first challenge of a `WWW-Authenticate` value (the one a registry prefers)."""
    challenges = parse_challenges(value)
    if not challenges:
        raise ChallengeError("no challenge in an empty value")
    return challenges[0]
