"""Refresh tokens for `offline_token=true`: opaque, stored, revocable.

A refresh token is `<id>.<secret>` (`brt1.` prefixed): the id names the item `RT#<id>`, the
secret is 256 random bits of which only the SHA-256 is stored (compared in constant time).
It is bound to one subject and one audience (the spec), expires after `refresh_ttl` (TTL), and
is bound to its principal's *generation* (`PrincipalItem.generation`), not just its name: a
password change, a disable, a robot revoke, any grant change and a delete each give the
principal a new generation, so its refresh tokens stop working at once, and a principal
created again under an old name never inherits the old one's tokens. Every exchange loads
the principal again (the same one query) and takes its CURRENT grants.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from chalicelib.auth import passwords
from chalicelib.auth.models import REFRESH_SK, RefreshTokenItem, refresh_pk
from chalicelib.storage.clock import now as utcnow

PREFIX = "brt1."
_TOKEN = re.compile(r"brt1\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32,128})")


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    subject: str
    audience: str
    generation: str | None  # the principal's generation at issue


def create(
    subject: str,
    audience: str,
    *,
    ttl: int,
    generation: str | None = None,
    now: float | None = None,
) -> str:
    token_id = secrets.token_urlsafe(16)
    secret = secrets.token_urlsafe(32)
    current = time.time() if now is None else now
    RefreshTokenItem(
        refresh_pk(token_id),
        REFRESH_SK,
        subject=subject,
        audience=audience,
        secret_digest=passwords.digest(secret),
        generation=generation,
        created_at=utcnow(),
        expires_at=int(current + ttl),
    ).save(condition=RefreshTokenItem.pk.does_not_exist())
    return f"{PREFIX}{token_id}.{secret}"


def redeem(token: str, audience: str, *, now: float | None = None) -> RefreshGrant | None:
    """The subject (and its generation) this refresh token was issued to, or None (unknown,
    wrong, expired, another audience). The caller compares the generation with the
    principal's current one."""
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        return None
    token_id, secret = match.groups()
    try:
        item = RefreshTokenItem.get(refresh_pk(token_id), REFRESH_SK, consistent_read=True)
    except DoesNotExist:
        passwords.same_digest(passwords.digest("absent"), secret)  # same work either way
        return None
    current = time.time() if now is None else now
    if not passwords.same_digest(item.secret_digest, secret):
        return None
    if item.audience != audience or current >= item.expires_at:
        return None
    return RefreshGrant(item.subject, item.audience, item.generation)


def revoke(token: str) -> None:
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is not None:
        RefreshTokenItem(refresh_pk(match.group(1)), REFRESH_SK).delete()


def consume(token: str, audience: str, *, now: float | None = None) -> RefreshGrant | None:
    """As `redeem`, once: the token is deleted under a condition that it still exists, so of
    two redeemers racing for it, one gets the grant and the other None (a one-time link)."""
    from pynamodb.exceptions import DeleteError

    from chalicelib.storage.transactions import condition_failed

    grant = redeem(token, audience, now=now)
    match = _TOKEN.fullmatch(token)
    if grant is None or match is None:
        return None
    try:
        RefreshTokenItem(refresh_pk(match.group(1)), REFRESH_SK).delete(
            condition=RefreshTokenItem.pk.exists()
        )
    except DeleteError as error:
        if condition_failed(error):
            return None
        raise
    return grant
