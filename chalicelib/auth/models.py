"""Auth's items in the metadata table (the same table as `chalicelib.storage.models`).

Key layout (pk, sk):

    P#<kind>#<name>  P              a principal: user, robot or iam mapping (hash, state)
    P#<kind>#<name>  G#<pattern>    a grant to that principal: level on a repository pattern
    PRINCIPALS       <kind>#<name>  directory entry, for listing (and IAM ARN patterns)
    PUBLIC           <pattern>      a public repository pattern: anonymous pull
    RT#<id>          RT             a refresh token (SHA-256 of its secret), TTL-expired
    L#<what>#<key>   <window>       failed-login counter (name or source IP), TTL-expired
    REVOKED          <subject>      when a principal lost access (auth/revocations.py), TTL

A principal and its grants share one partition, so a login reads both with ONE query. The
`PRINCIPALS` directory is written in the same transaction as the principal. `<kind>` is
`user`, `robot` or `iam`; an `iam` principal is a mapping whose `arn_pattern` selects callers.
None of these partitions collides with the registry's (`R#`, `REPOS`, `U#`).

`expires_at` is the table's TTL attribute: DynamoDB removes expired counters, refresh tokens
and grants on its own (days late, so the code checks expiry too). A robot's expiry is
`valid_until`, not TTL, so an expired robot stays listed until an admin removes it.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

# The keys are built where every key of the table is (chalicelib/storage/keys.py).
from chalicelib.storage.keys import DIRECTORY_PARTITION as DIRECTORY_PARTITION
from chalicelib.storage.keys import GRANT_PREFIX as GRANT_PREFIX
from chalicelib.storage.keys import PRINCIPAL_SK as PRINCIPAL_SK
from chalicelib.storage.keys import PUBLIC_PARTITION as PUBLIC_PARTITION
from chalicelib.storage.keys import REFRESH_SK as REFRESH_SK
from chalicelib.storage.keys import REVOKED_PARTITION as REVOKED_PARTITION
from chalicelib.storage.keys import principal_pk as principal_pk
from chalicelib.storage.keys import refresh_pk as refresh_pk
from chalicelib.storage.models import _Item


class PrincipalItem(_Item):
    """pk=P#<kind>#<name>, sk=P."""

    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    # argon2id (users) or SHA-256 (robots' random secrets); None for iam mappings.
    secret_hash = UnicodeAttribute(null=True)
    arn_pattern = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    disabled = BooleanAttribute(default=False)
    valid_until = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    # Random, new at creation and at every change of secret, state or grants: refresh tokens
    # carry the one they were issued under (None: an item from before generations).
    generation = UnicodeAttribute(null=True)


class GrantItem(_Item):
    """pk=P#<kind>#<name>, sk=G#<pattern>."""

    pattern = UnicodeAttribute()
    level = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # TTL, and checked by the code
    granted_by = UnicodeAttribute(null=True)
    granted_at = UTCDateTimeAttribute()


class DirectoryItem(_Item):
    """pk=PRINCIPALS, sk=<kind>#<name>."""

    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    arn_pattern = UnicodeAttribute(null=True)


class PublicItem(_Item):
    """pk=PUBLIC, sk=<pattern>."""

    made_public_by = UnicodeAttribute(null=True)
    made_public_at = UTCDateTimeAttribute()


class RefreshTokenItem(_Item):
    """pk=RT#<id>, sk=RT: the refresh token `<id>.<secret>` (only the secret's digest)."""

    subject = UnicodeAttribute()
    audience = UnicodeAttribute()
    secret_digest = UnicodeAttribute()
    # The principal's generation at issue (`PrincipalItem.generation`): any change since
    # (password, grants, disable, revoke, delete and re-create) makes the token worthless.
    generation = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # TTL


class CounterItem(_Item):
    """pk=L#<what>#<key>, sk=<window start>: failed logins in one window."""

    failures = NumberAttribute(default=0)
    expires_at = NumberAttribute()  # TTL


class RevocationItem(_Item):
    """pk=REVOKED, sk=<subject>: tokens and cached logins of `subject` from before
    `revoked_at` are refused (`chalicelib.auth.revocations`)."""

    revoked_at = NumberAttribute()  # epoch seconds, with fractions
    expires_at = NumberAttribute()  # TTL: long after every token of that time has expired
