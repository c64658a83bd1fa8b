"""Token scopes (`repository:team/app:pull,push`) and the Bearer challenge header.

The grammar is the one in the Docker token scope spec:

    scope          := resourcescope [ ' ' resourcescope ]*
    resourcescope  := resourcetype ":" resourcename ":" action [ ',' action ]*
    resourcetype   := resourcetypevalue [ '(' resourcetypevalue ')' ]
    resourcename   := [ hostname '/' ] component [ '/' component ]*
    action         := /[a-z]*/          (and `*`, which the CNCF registry uses for "all")

A name may hold one colon (a port: `localhost:5000/app`), so the action list is what follows
the LAST colon and the type what precedes the FIRST. The resource class
(`repository(plugin)`) is deprecated and ignored: it is parsed, kept out of equality and never
formatted back, as the spec asks. Every malformed input raises `ScopeError` and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_SCOPE_LENGTH = 4096
MAX_NAME_LENGTH = 255

_TYPE = re.compile(r"([a-z0-9]+)(?:\(([a-z0-9]+)\))?")
_ACTION = re.compile(r"[a-z]*|\*")
_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOSTNAME = rf"{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})*(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-*)[a-z0-9]+)*"
_NAME = re.compile(rf"(?:{_HOSTNAME}/)?{_COMPONENT}(?:/{_COMPONENT})*")
# What may stand inside a quoted-string of the challenge without escaping trouble.
_QUOTABLE = re.compile(r"[\x20-\x7e]*")


class ScopeError(ValueError):
    """A scope string, or a challenge header, does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class ResourceScope:
    """One resource scope: a type, a name and the actions wanted or granted on it."""

    type: str
    name: str
    actions: tuple[str, ...]
    # Deprecated resource class (`plugin` in `repository(plugin)`): not part of identity.
    resource_class: str | None = field(default=None, compare=False)

    def format(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"

    def __str__(self) -> str:
        return self.format()

    def claim(self) -> dict[str, object]:
        """The JWT `access` entry for this scope."""
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


def _unique(actions: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for a in actions if a))


def parse_scope(text: str) -> ResourceScope:
    """Parse one resource scope; empty actions (`a::b,`) are dropped."""
    if not isinstance(text, str):
        raise ScopeError("scope must be a string")
    if len(text) > MAX_SCOPE_LENGTH:
        raise ScopeError("scope is too long")
    first = text.find(":")
    last = text.rfind(":")
    if first < 0 or first == last:
        raise ScopeError(f"scope {text[:80]!r} is not type:name:actions")
    type_part, name, action_part = text[:first], text[first + 1 : last], text[last + 1 :]
    type_match = _TYPE.fullmatch(type_part)
    if type_match is None:
        raise ScopeError(f"scope type {type_part[:40]!r} is not [a-z0-9]+ or type(class)")
    if len(name) > MAX_NAME_LENGTH or _NAME.fullmatch(name) is None:
        raise ScopeError(f"scope name {name[:80]!r} does not follow the name grammar")
    actions = action_part.split(",")
    for action in actions:
        if _ACTION.fullmatch(action) is None:
            raise ScopeError(f"scope action {action[:40]!r} is not [a-z]* or '*'")
    return ResourceScope(type_match.group(1), name, _unique(actions), type_match.group(2))


def parse_scopes(values: Iterable[str]) -> list[ResourceScope]:
    """Parse the `scope` parameters of a token request (GET repeats it, POST space-separates).

    Scopes on the same resource are merged (their actions united), in first-seen order."""
    merged: dict[tuple[str, str], list[str]] = {}
    for value in values:
        if not isinstance(value, str):
            raise ScopeError("scope must be a string")
        if len(value) > MAX_SCOPE_LENGTH * 4:
            raise ScopeError("scope parameter is too long")
        for part in value.split(" "):
            if not part:
                continue
            scope = parse_scope(part)
            merged.setdefault((scope.type, scope.name), []).extend(scope.actions)
    return [ResourceScope(t, n, _unique(a)) for (t, n), a in merged.items()]


def format_scopes(scopes: Iterable[ResourceScope]) -> str:
    return " ".join(scope.format() for scope in scopes)


# --- the challenge -------------------------------------------------------------------------


def _quote(value: str) -> str:
    if _QUOTABLE.fullmatch(value) is None:
        raise ScopeError("challenge parameters must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bearer_challenge(
    realm: str,
    service: str,
    scopes: Iterable[ResourceScope] = (),
    *,
    error: str | None = None,
) -> str:
    """`WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (RFC 6750 section 3).

    `error` is `invalid_token` (bad or expired token) or `insufficient_scope`."""
    params = [f"realm={_quote(realm)}", f"service={_quote(service)}"]
    scope = format_scopes(scopes)
    if scope:
        params.append(f"scope={_quote(scope)}")
    if error is not None:
        params.append(f"error={_quote(error)}")
    return "Bearer " + ",".join(params)
