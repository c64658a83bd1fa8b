"""Principals in DynamoDB: users, robot accounts, IAM mappings, their grants, public patterns.

Login names: a user is `<name>`, a robot `robot$<name>` (as in Harbor), an IAM caller
`aws` with a presigned STS request as password (`chalicelib.auth.iam`). Names are
`[a-z0-9][a-z0-9._-]{0,63}`.

Users have argon2id password hashes. Robots have a 256-bit random secret, shown once at
creation and stored as its SHA-256 (stretching adds nothing to a random 256-bit secret, and a
robot used by ECS through Basic credentials is then as cheap to check as a token). Both paths
check something even when the name is unknown, so the time taken does not reveal which names
exist. See `chalicelib.auth.models` for the key layout.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError

from chalicelib.auth import passwords
from chalicelib.auth.models import (
    DIRECTORY_PARTITION,
    GRANT_PREFIX,
    PRINCIPAL_SK,
    PUBLIC_PARTITION,
    DirectoryItem,
    GrantItem,
    PrincipalItem,
    PublicItem,
    principal_pk,
)
from chalicelib.auth.permissions import Grant, Level, Principal, check_pattern
from chalicelib.storage.clock import now as utcnow
from chalicelib.storage.keys import directory_sk, grant_sk
from chalicelib.storage.transactions import condition_failed, transaction

KINDS = ("user", "robot", "iam")
ROBOT_PREFIX = "robot$"
# The audit's spelling of a robot (`robot:ci`), accepted at login as well (issue 18 §3).
ROBOT_SUBJECT = "robot:"
ROBOT_SECRET_PREFIX = "berth_robot_"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Robots unknown to us are compared against this, so the time is the same.
_DUMMY_DIGEST = passwords.digest("no such robot")


class PrincipalError(Exception):
    """A bad name, a duplicate, or a principal that does not exist."""


class Duplicate(PrincipalError):
    """It already exists (the admin API answers 409)."""


class Missing(PrincipalError):
    """The principal, grant or public pattern does not exist (the admin API answers 404)."""


class Revoked(PrincipalError):
    """A revoked robot cannot be given a new secret (the admin API answers 409)."""


# A grant to give at creation, in the creating transaction: (pattern, level, expires_at).
InitialGrant = tuple[str, Level, float | None]


def check_name(name: str) -> str:
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise PrincipalError("a name is [a-z0-9][a-z0-9._-]{0,63}")
    return name


def valid_name(name: str) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def new_generation() -> str:
    """A principal's generation (`PrincipalItem.generation`): random, so a principal
    deleted and created again under the same name never has the old one."""
    return secrets.token_urlsafe(12)


def _bumped() -> Any:
    """The update action that gives a principal a new generation (ends its refresh tokens)."""
    return PrincipalItem.generation.set(new_generation())


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise PrincipalError(f"kind must be one of {', '.join(KINDS)}")
    return kind


@dataclass(frozen=True, slots=True)
class Stored:
    """A principal as stored: what `permissions` needs, plus its secret hash."""

    principal: Principal
    secret_hash: str | None
    arn_pattern: str | None
    revoked: bool = False  # a robot revoked for good (its principal is also disabled)


def _grant(item: GrantItem) -> Grant:
    return Grant(item.pattern, Level.parse(item.level), item.expires_at)


def _read(kind: str, name: str) -> tuple[PrincipalItem | None, list[Grant]]:
    """The principal's item and grants, in ONE strongly consistent query of its partition."""
    principal: PrincipalItem | None = None
    grants: list[Grant] = []
    start: Any = None
    while True:
        # The table connection of a model: it knows the key schema (no DescribeTable call),
        # and the query returns raw items of both kinds.
        page = PrincipalItem._get_connection().query(
            principal_pk(kind, name),
            consistent_read=True,
            exclusive_start_key=start,
        )
        for raw in page.get("Items", []):
            sk = raw["sk"]["S"]
            if sk == PRINCIPAL_SK:
                principal = PrincipalItem.from_raw_data(raw)
            elif sk.startswith(GRANT_PREFIX):
                grants.append(_grant(GrantItem.from_raw_data(raw)))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return principal, grants


def _stored(kind: str, name: str, principal: PrincipalItem, grants: list[Grant]) -> Stored:
    return Stored(
        Principal(
            kind=kind,
            name=name,
            grants=tuple(grants),
            disabled=bool(principal.disabled) or principal.revoked_at is not None,
            valid_until=principal.valid_until,
            generation=principal.generation,
        ),
        principal.secret_hash,
        principal.arn_pattern,
        principal.revoked_at is not None,
    )


def _lost_access(kind: str, name: str) -> None:
    """Its tokens and cached logins stop working within the revocation bound
    (`chalicelib.auth.revocations`); an IAM mapping's callers are not known, so all IAM."""
    from chalicelib.auth import revocations

    revocations.record(revocations.ALL_IAM if kind == "iam" else f"{kind}:{name}")


def load(kind: str, name: str) -> Stored | None:
    """The principal and all its grants, in ONE strongly consistent query of its partition."""
    principal, grants = _read(kind, name)
    return None if principal is None else _stored(kind, name, principal, grants)


@dataclass(frozen=True, slots=True)
class Profile:
    """What an admin sees of a principal beside what `permissions` needs: no pynamodb item
    reaches the admin API or pages."""

    description: str | None
    disabled: bool
    revoked: bool
    created_at: datetime


def details(kind: str, name: str) -> tuple[Profile, Stored] | None:
    """For the admin API: the principal's profile (description, dates, state) beside
    `load`'s answer."""
    principal, grants = _read(_check_kind(kind), name)
    if principal is None:
        return None
    profile = Profile(
        principal.description,
        bool(principal.disabled),
        principal.revoked_at is not None,
        principal.created_at,
    )
    return profile, _stored(kind, name, principal, grants)


def _grant_item(
    kind: str,
    name: str,
    pattern: str,
    level: Level,
    expires_at: float | None,
    granted_by: str | None,
) -> GrantItem:
    return GrantItem(
        principal_pk(kind, name),
        grant_sk(check_pattern(pattern)),
        pattern=pattern,
        level=level.label(),
        expires_at=None if expires_at is None else int(expires_at),
        granted_by=granted_by,
        granted_at=utcnow(),
    )


def _create(
    kind: str,
    name: str,
    grants: Sequence[InitialGrant] = (),
    granted_by: str | None = None,
    **attributes: Any,
) -> None:
    """The principal, its directory entry and its first grants: all, or nothing."""
    item = PrincipalItem(
        principal_pk(kind, name),
        PRINCIPAL_SK,
        kind=kind,
        name=name,
        created_at=utcnow(),
        generation=new_generation(),
        **attributes,
    )
    entry = DirectoryItem(
        DIRECTORY_PARTITION,
        directory_sk(kind, name),
        kind=kind,
        name=name,
        arn_pattern=attributes.get("arn_pattern"),
    )
    staged = [_grant_item(kind, name, p, lv, e, granted_by) for p, lv, e in grants]
    try:
        with transaction() as t:
            t.save(item, condition=PrincipalItem.pk.does_not_exist())
            t.save(entry)
            for grant_item in staged:
                t.save(grant_item)
    except TransactWriteError as error:
        if condition_failed(error):
            raise Duplicate(f"{kind} {name!r} already exists") from None
        raise


def create_user(
    name: str,
    password: str,
    *,
    description: str | None = None,
    grants: Sequence[InitialGrant] = (),
    granted_by: str | None = None,
) -> None:
    _create(
        "user",
        check_name(name),
        grants,
        granted_by,
        secret_hash=passwords.hash_secret(password),
        description=description,
    )


def set_password(name: str, password: str) -> None:
    item = PrincipalItem(principal_pk("user", check_name(name)), PRINCIPAL_SK)
    try:
        item.update(
            actions=[PrincipalItem.secret_hash.set(passwords.hash_secret(password)), _bumped()],
            condition=PrincipalItem.pk.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Missing(f"user {name!r} does not exist") from None
        raise
    _lost_access("user", name)


def rotate_robot_secret(name: str) -> str:
    """Give a robot a new secret, returned once: the old one stops working at once, its
    tokens and cached logins within the revocation bound. A revoked robot stays revoked."""
    secret = passwords.new_secret(ROBOT_SECRET_PREFIX)
    item = PrincipalItem(principal_pk("robot", check_name(name)), PRINCIPAL_SK)
    try:
        item.update(
            actions=[PrincipalItem.secret_hash.set(passwords.digest(secret)), _bumped()],
            condition=PrincipalItem.pk.exists() & PrincipalItem.revoked_at.does_not_exist(),
        )
    except UpdateError as error:
        if condition_failed(error):
            if load("robot", name) is None:
                raise Missing(f"robot {name!r} does not exist") from None
            raise Revoked(f"robot {name!r} was revoked: create a new robot") from None
        raise
    _lost_access("robot", name)
    return secret


def create_robot(
    name: str,
    *,
    valid_until: float | None = None,
    description: str | None = None,
    grants: Sequence[InitialGrant] = (),
    granted_by: str | None = None,
) -> str:
    """Create a robot account; returns its secret, which is never stored nor shown again."""
    secret = passwords.new_secret(ROBOT_SECRET_PREFIX)
    _create(
        "robot",
        check_name(name),
        grants,
        granted_by,
        secret_hash=passwords.digest(secret),
        valid_until=valid_until,
        description=description,
    )
    return secret


def create_iam_mapping(
    name: str,
    arn_pattern: str,
    *,
    description: str | None = None,
    grants: Sequence[InitialGrant] = (),
    granted_by: str | None = None,
) -> None:
    """Callers whose ARN matches `arn_pattern` (`*` wildcards) get this mapping's grants."""
    from chalicelib.auth.iam import check_arn_pattern

    _create(
        "iam",
        check_name(name),
        grants,
        granted_by,
        arn_pattern=check_arn_pattern(arn_pattern),
        description=description,
    )


def set_disabled(kind: str, name: str, disabled: bool = True) -> None:
    """Disable (or enable) a principal: it can neither log in nor use refresh tokens."""
    item = PrincipalItem(principal_pk(_check_kind(kind), name), PRINCIPAL_SK)
    try:
        item.update(
            actions=[PrincipalItem.disabled.set(disabled), _bumped()],
            condition=PrincipalItem.pk.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Missing(f"{kind} {name!r} does not exist") from None
        raise
    if disabled:
        _lost_access(kind, name)


def revoke_robot(name: str) -> None:
    """Revoke a robot for good: its secret stops working at once, its tokens and cached
    logins within the revocation bound."""
    item = PrincipalItem(principal_pk("robot", check_name(name)), PRINCIPAL_SK)
    try:
        item.update(
            actions=[PrincipalItem.revoked_at.set(utcnow()), _bumped()],
            condition=PrincipalItem.pk.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Missing(f"robot {name!r} does not exist") from None
        raise
    _lost_access("robot", name)


def delete(kind: str, name: str) -> None:
    """Remove a principal, its grants and its directory entry."""
    stored = load(_check_kind(kind), name)
    if stored is None:
        raise Missing(f"{kind} {name!r} does not exist")
    PrincipalItem(principal_pk(kind, name), PRINCIPAL_SK).delete()
    DirectoryItem(DIRECTORY_PARTITION, directory_sk(kind, name)).delete()
    for grant in stored.principal.grants:
        GrantItem(principal_pk(kind, name), grant_sk(grant.pattern)).delete()
    _lost_access(kind, name)


def grant(
    kind: str,
    name: str,
    pattern: str,
    level: Level,
    *,
    expires_at: float | None = None,
    granted_by: str | None = None,
) -> None:
    """Give (or replace) `level` on `pattern`; the principal must exist.

    A grant can take access away (it replaces a higher level, or a more specific pattern with
    a lower level wins, `none` included), so the principal's tokens and cached logins end
    too, and so do its refresh tokens (a new generation, in the same transaction): the next
    tokens carry the grants as they are now."""
    item = _grant_item(_check_kind(kind), name, pattern, level, expires_at, granted_by)
    try:
        with transaction() as t:
            t.update(
                PrincipalItem(principal_pk(kind, name), PRINCIPAL_SK),
                actions=[_bumped()],
                condition=PrincipalItem.pk.exists(),
            )
            t.save(item)
    except TransactWriteError as error:
        if condition_failed(error):
            raise Missing(f"{kind} {name!r} does not exist") from None
        raise
    _lost_access(kind, name)


def revoke_grant(kind: str, name: str, pattern: str) -> None:
    """Remove a grant (and, in the same transaction, give the principal a new generation:
    its refresh tokens end); Missing when the principal holds none on `pattern`."""
    try:
        with transaction() as t:
            t.delete(
                GrantItem(principal_pk(_check_kind(kind), name), grant_sk(pattern)),
                condition=GrantItem.pk.exists(),
            )
            t.update(
                PrincipalItem(principal_pk(kind, name), PRINCIPAL_SK),
                actions=[_bumped()],
                condition=PrincipalItem.pk.exists(),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            raise Missing(f"{kind} {name!r} has no grant on {pattern[:80]!r}") from None
        raise
    _lost_access(kind, name)


def make_public(pattern: str, *, by: str | None = None) -> None:
    """Add a public pattern; every process's cached pattern list is read again within the
    revocation bound (`revocations.PUBLIC_ADDED`)."""
    PublicItem(
        PUBLIC_PARTITION, check_pattern(pattern), made_public_by=by, made_public_at=utcnow()
    ).save()
    from chalicelib.auth import revocations

    revocations.record(revocations.PUBLIC_ADDED)


def make_private(pattern: str) -> None:
    """Remove a public pattern; Missing when it was not public."""
    try:
        PublicItem(PUBLIC_PARTITION, pattern).delete(condition=PublicItem.pk.exists())
    except DeleteError as error:
        if condition_failed(error):
            raise Missing(f"{pattern[:80]!r} is not public") from None
        raise
    from chalicelib.auth import revocations

    revocations.record("anonymous:anonymous")  # anonymous tokens may hold pull on it
    revocations.record(revocations.PUBLIC)  # so may others' (`pub`), and cached pattern lists


def public_patterns() -> list[str]:
    return [item.sk for item in PublicItem.query(PUBLIC_PARTITION, consistent_read=True)]


@dataclass(frozen=True, slots=True)
class Listed:
    """A principal as the directory lists it (an IAM mapping with its ARN pattern)."""

    kind: str
    name: str
    arn_pattern: str | None


def directory(kind: str | None = None) -> Iterator[Listed]:
    condition = None if kind is None else DirectoryItem.sk.startswith(f"{_check_kind(kind)}#")
    for item in DirectoryItem.query(DIRECTORY_PARTITION, range_key_condition=condition):
        yield Listed(item.kind, item.name, item.arn_pattern)


# --- logins ----------------------------------------------------------------------------------


def authenticate(username: str, secret: str, *, now: float | None = None) -> Principal | None:
    """The user or robot these Basic credentials name, or None (wrong, unknown, inactive).

    Constant in time whether or not the name exists (see the module docstring)."""
    found = check_login(username, secret, now=now)
    return found if isinstance(found, Principal) else None


# Why right credentials did not log in; told only to whoever knew the secret.
REVOKED = "REVOKED"
DISABLED = "DISABLED"
EXPIRED = "EXPIRED"


def check_login(username: str, secret: str, *, now: float | None = None) -> Principal | str | None:
    """As `authenticate`, but a principal whose secret matched and who may not log in is
    answered with why (REVOKED, DISABLED, EXPIRED), so the client and the audit can say so;
    a wrong secret or an unknown name is None, as before."""
    current = time.time() if now is None else now
    if not isinstance(username, str) or not isinstance(secret, str):
        return None
    if username == "robot" and ":" in secret:
        # Basic credentials cannot carry a colon in the name (RFC 7617): `robot:ci` and its
        # secret arrive as the user `robot` with `ci:<secret>`. Tried as that robot first,
        # then as the user `robot`, so neither can be taken for the other.
        name, _, rest = secret.partition(":")
        found = check_login(ROBOT_PREFIX + name, rest, now=current)
        if found is not None:
            return found
    elif username.startswith(ROBOT_SUBJECT):
        username = ROBOT_PREFIX + username[len(ROBOT_SUBJECT) :]
    if username.startswith(ROBOT_PREFIX):
        name = username[len(ROBOT_PREFIX) :]
        stored = load("robot", name) if _NAME.fullmatch(name) else None
        expected = stored.secret_hash if stored and stored.secret_hash else _DUMMY_DIGEST
        ok = passwords.same_digest(expected, secret) and stored is not None
    else:
        stored = load("user", username) if _NAME.fullmatch(username) else None
        ok = passwords.verify(stored.secret_hash if stored else None, secret)
    if not ok or stored is None:
        return None
    if not stored.principal.active(current):
        return _inactive(stored, current)
    return stored.principal


def _inactive(stored: Stored, now: float) -> str:
    if stored.principal.kind == "robot" and stored.revoked:
        return REVOKED
    if stored.principal.valid_until is not None and now >= stored.principal.valid_until:
        return EXPIRED
    return DISABLED


def iam_principal(arn: str, *, now: float | None = None) -> Principal | None:
    """The IAM caller `arn` with the grants of every active mapping whose pattern matches it,
    or None when no mapping does. One query of the directory, one per matching mapping."""
    from chalicelib.auth.iam import matching_mappings

    current = time.time() if now is None else now
    mappings = {entry.name: entry.arn_pattern for entry in directory("iam") if entry.arn_pattern}
    grants: list[Grant] = []
    generations: list[str] = []
    for name in matching_mappings(arn, mappings):
        stored = load("iam", name)
        if stored is None or not stored.principal.active(current):
            continue
        generations.append(f"{name}={stored.principal.generation}")
        grants.extend(stored.principal.grants)
    if not generations:
        return None
    # The caller's generation is that of the mappings it matched: a change to any of them (or
    # a mapping more or less) ends its refresh tokens.
    generation = hashlib.sha256("\n".join(sorted(generations)).encode()).hexdigest()[:24]
    return Principal("iam", arn, tuple(grants), generation=generation)
