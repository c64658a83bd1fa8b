"""Who may do what: pure evaluation of grants, no storage and no clock of its own.

Levels are cumulative, as on Docker Hub's access tokens: `pull` < `push` (pull too) <
`delete` (push too) < `admin` (everything, including changing grants). `none` is an explicit
deny. A grant gives one level on a pattern:

    team/app      exactly that repository
    team/*        every repository under `team/`, at any depth (not `team` itself)
    *             every repository (and, with `admin`, the registry: grants, users, robots)

Evaluation (`level`), for one principal and one repository:
1. An inactive principal (disabled, revoked, expired) has nothing, not even public pull
   through its credentials (it can still pull public repositories anonymously).
2. Expired grants are ignored.
3. Among the grants whose pattern matches, the MOST SPECIFIC pattern decides: an exact name
   beats any namespace, a longer namespace beats a shorter one, `*` comes last. So
   `team/* push` with `team/secret none` denies `team/secret`. Equally specific grants
   (from several IAM mappings, say) give the highest of their levels.
4. Nothing matches: `none`. Deny by default.
5. A public repository (a public pattern matching it) adds `pull` for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from chalicelib.auth.scope import ResourceScope


class Level(IntEnum):
    NONE = 0
    PULL = 1
    PUSH = 2
    DELETE = 3
    ADMIN = 4

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(
                f"level must be one of {', '.join(n.lower() for n in cls.__members__)}"
            ) from None

    def label(self) -> str:
        return self.name.lower()


# What each repository action in a token scope needs.
ACTION_LEVEL: dict[str, Level] = {
    "pull": Level.PULL,
    "push": Level.PUSH,
    "delete": Level.DELETE,
    "*": Level.ADMIN,
}

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
MAX_PATTERN_LENGTH = 200


def check_pattern(pattern: str) -> str:
    """A repository name, `<namespace>/*` or `*`; raises ValueError otherwise."""
    if pattern == "*":
        return pattern
    name = pattern[:-2] if pattern.endswith("/*") else pattern
    if len(pattern) > MAX_PATTERN_LENGTH or _NAME.fullmatch(name) is None:
        raise ValueError(f"pattern {pattern[:80]!r} is not a repository name, 'ns/*' or '*'")
    return pattern


def matches(pattern: str, repository: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        return repository.startswith(pattern[:-1])
    return pattern == repository


def specificity(pattern: str) -> tuple[int, int]:
    """Larger is more specific: exact names, then namespaces by length, then `*`."""
    if pattern == "*":
        return (0, 0)
    if pattern.endswith("/*"):
        return (1, len(pattern))
    return (2, len(pattern))


@dataclass(frozen=True, slots=True)
class Grant:
    pattern: str
    level: Level
    expires_at: float | None = None  # epoch seconds; None: never

    def live(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller and everything needed to decide what it may do.

    kind: `user`, `robot`, `iam` (name is the caller's ARN) or `anonymous`."""

    kind: str
    name: str
    grants: tuple[Grant, ...] = ()
    disabled: bool = False
    valid_until: float | None = None  # robots: epoch seconds after which they cannot log in
    # Changes whenever the principal's secret, state or grants do, and differs between two
    # principals of one name (delete, create): what a refresh token is bound to.
    generation: str | None = None

    @property
    def subject(self) -> str:
        """The token `sub`: kind and name, so a robot can never pass for a user."""
        return f"{self.kind}:{self.name}"

    def active(self, now: float) -> bool:
        return not self.disabled and (self.valid_until is None or now < self.valid_until)


ANONYMOUS = Principal("anonymous", "anonymous")


def level(
    principal: Principal,
    repository: str,
    *,
    now: float,
    public: Iterable[str] = (),
    grants: Iterable[Grant] | None = None,
) -> Level:
    """The principal's level on `repository` (see the module docstring for the rules)."""
    public_level = Level.PULL if any(matches(p, repository) for p in public) else Level.NONE
    if not principal.active(now):
        return Level.NONE
    best: tuple[int, int] | None = None
    found = Level.NONE
    for grant in principal.grants if grants is None else grants:
        if not grant.live(now) or not matches(grant.pattern, repository):
            continue
        rank = specificity(grant.pattern)
        if best is None or rank > best:
            best, found = rank, grant.level
        elif rank == best:
            found = max(found, grant.level)
    return max(found, public_level)


def allowed(
    principal: Principal,
    grants: Iterable[Grant] | None,
    repository: str,
    action: str,
    *,
    now: float,
    public: Iterable[str] = (),
) -> bool:
    """May `principal` do `action` (pull, push, delete, `*`) on `repository`?

    `grants` None means the principal's own grants."""
    needed = ACTION_LEVEL.get(action)
    if needed is None:
        return False
    return level(principal, repository, now=now, public=public, grants=grants) >= needed


# Registry administration as a token scope: the admin API (`/v2/_berth/admin/...`), garbage
# collection and audit queries by principal. Granted only to `is_admin` principals.
REGISTRY_ADMIN = ResourceScope("registry", "admin", ("*",))


def is_admin(principal: Principal, *, now: float) -> bool:
    """Registry administration: `admin` on `*`, the only pattern that covers everything."""
    return principal.active(now) and any(
        g.pattern == "*" and g.level == Level.ADMIN and g.live(now) for g in principal.grants
    )


def grant_scopes(
    principal: Principal,
    requested: Iterable[ResourceScope],
    *,
    now: float,
    public: Iterable[str] = (),
) -> list[ResourceScope]:
    """The token endpoint's intersection of requested and held access (spec: never an error).

    `repository:<name>:<actions>` keeps the actions the level allows; `registry:catalog:*`
    goes to every active principal (the catalog lists only what the caller may pull);
    `registry:admin:*` to registry admins (`is_admin`) only; anything else is dropped.
    Scopes left with no action are left out."""
    public = tuple(public)
    out: list[ResourceScope] = []
    for scope in requested:
        if scope.type == "repository":
            have = level(principal, scope.name, now=now, public=public)
            actions = tuple(
                a for a in scope.actions if have >= ACTION_LEVEL.get(a, Level.ADMIN + 1)
            )
        elif scope.type == "registry" and scope.name == "catalog":
            active = principal.kind != "anonymous" and principal.active(now)
            actions = ("*",) if active and "*" in scope.actions else ()
        elif scope.type == "registry" and scope.name == "admin":
            admin = principal.kind != "anonymous" and is_admin(principal, now=now)
            actions = ("*",) if admin and "*" in scope.actions else ()
        else:
            actions = ()
        if actions:
            out.append(ResourceScope(scope.type, scope.name, actions))
    return out


def covers(granted: Iterable[ResourceScope], wanted: ResourceScope) -> bool:
    """Does a token's `access` claim allow `wanted`? Every wanted action must be listed for
    the same type and name (`*` in the claim stands for all of them)."""
    have: set[str] = set()
    for scope in granted:
        if scope.type == wanted.type and scope.name == wanted.name:
            have.update(scope.actions)
    return "*" in have or all(action in have for action in wanted.actions)
