"""One fetch per blob: the request that takes a blob's claim fetches it from upstream (or
queues the fetch: chalicelib/cache/fill_jobs.py), the others wait for its object to appear in
S3 and link that, or are sent to upstream's storage meanwhile.

A claim is a conditional put in DynamoDB that expires (a fetcher that died frees it after
CLAIM_SECONDS, and the next waiter takes it over); it is released when the fetch ends,
however it ends."""

from __future__ import annotations

import secrets

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError

from chalicelib.storage.keys import CACHE_FILL_SK, cache_fill_pk
from chalicelib.storage.models import _Item
from chalicelib.storage.transactions import condition_failed

# Longer than a fetch of a large layer within one invocation (Lambda runs 15 minutes at
# most, so a claim older than that has no living owner).
CLAIM_SECONDS = 900


class FillClaimItem(_Item):
    """pk=CACHEFILL#<digest>, sk=fill."""

    owner = UnicodeAttribute()
    until = NumberAttribute()  # epoch seconds; past it, anyone may take the claim over
    expires_at = NumberAttribute()  # the table's TTL removes a forgotten claim


def new_owner() -> str:
    return secrets.token_hex(8)


def take(digest: str, owner: str, at: float) -> bool:
    """True if `owner` now holds the claim on fetching `digest` (taken, taken over once
    expired, or still its own: a queued fill takes the claim its request took)."""
    item = FillClaimItem(
        cache_fill_pk(digest),
        CACHE_FILL_SK,
        owner=owner,
        until=int(at) + CLAIM_SECONDS,
        expires_at=int(at) + 2 * CLAIM_SECONDS,
    )
    try:
        item.save(
            condition=FillClaimItem.pk.does_not_exist()
            | (FillClaimItem.until < int(at))
            | (FillClaimItem.owner == owner)
        )
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def held(digest: str) -> bool:
    try:
        FillClaimItem.get(cache_fill_pk(digest), CACHE_FILL_SK, consistent_read=True)
    except FillClaimItem.DoesNotExist:
        return False
    return True


def release(digest: str, owner: str) -> None:
    try:
        FillClaimItem(cache_fill_pk(digest), CACHE_FILL_SK).delete(
            condition=FillClaimItem.owner == owner
        )
    except DeleteError as error:
        if not condition_failed(error):
            raise
