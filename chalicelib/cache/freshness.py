"""When each cached tag was last known to match upstream: a tag older than its rule's TTL
is checked again (a HEAD upstream) before it is served.

Kept in a partition of its own (`CACHETAG#<repository>`), not on the tag item, so ordinary
repositories' items and the pull path that reads them do not change; only a pull by tag in
a cached repository reads it."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.storage.keys import cache_tag_pk
from chalicelib.storage.models import _Item


class CachedTagItem(_Item):
    """pk=CACHETAG#<repository>, sk=<tag>."""

    digest = UnicodeAttribute()  # what upstream named when it was checked
    checked_at = UTCDateTimeAttribute()


def checked(repository: str, tag: str) -> CachedTagItem | None:
    try:
        return CachedTagItem.get(cache_tag_pk(repository), tag, consistent_read=True)
    except CachedTagItem.DoesNotExist:
        return None


def record(repository: str, tag: str, digest: str, at: datetime) -> None:
    CachedTagItem(cache_tag_pk(repository), tag, digest=digest, checked_at=at).save()


def is_stale(item: CachedTagItem | None, ttl_seconds: int, at: datetime) -> bool:
    """Never checked, or checked longer ago than the TTL (a TTL of 0: every pull checks)."""
    if item is None:
        return True
    return (at - item.checked_at).total_seconds() >= ttl_seconds
