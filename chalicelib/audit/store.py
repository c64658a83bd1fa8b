"""Audit items in DynamoDB: written on their own, and queried. Staging one into a change's
own transaction is storage's (chalicelib/storage/audit_items.py, named here too)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.audit_event import Event, day_key, since_key
from chalicelib.storage.audit_items import DEFAULT_RETENTION_DAYS as DEFAULT_RETENTION_DAYS
from chalicelib.storage.audit_items import AuditItem, items
from chalicelib.storage.audit_items import retention_seconds as retention_seconds
from chalicelib.storage.audit_items import stage as stage


def write(event: Event) -> None:
    """On its own: one BatchWriteItem (an event has at most four items)."""
    with AuditItem.batch_write() as batch:
        for item in items(event):
            batch.save(item)


def _event(item: AuditItem) -> Event:
    return Event(
        action=item.action,
        outcome=item.outcome,
        who=item.who,
        at=keys.audit_parts(item.sk)[0],
        repository=item.repository,
        subject=item.subject,
        digest=item.digest,
        tags=tuple((t[0], t[1], t[2]) for t in (item.tags or [])),
        detail=dict(item.detail or {}),
        source_ip=item.source_ip,
        user_agent=item.user_agent,
        request_id=item.request_id,
        count=int(item.events or 1),
        nonce=keys.audit_parts(item.sk)[1],
    )


def query(
    key: str, *, limit: int, before: str | None = None, since: str | None = None
) -> tuple[list[Event], str | None]:
    """Events under `key`, newest first: up to `limit` of them older than the cursor `before`
    (a sort key) and no older than `since` (ISO 8601). Returns them and the next cursor."""
    condition: Any = None
    low = since_key(since) if since else None
    if before is not None and low is not None:
        condition = AuditItem.sk.between(low, before)
    elif before is not None:
        condition = AuditItem.sk < before
    elif low is not None:
        condition = AuditItem.sk >= low
    found: list[Event] = []
    cursor: str | None = None
    for item in AuditItem.query(
        key, range_key_condition=condition, scan_index_forward=False, limit=limit + 1
    ):
        if before is not None and item.sk >= before:
            continue  # `between` is inclusive of the cursor
        if len(found) == limit:
            cursor = found[-1].sort_key()
            break
        found.append(_event(item))
    return found, cursor


def query_registry(
    *, limit: int, today: date, before: str | None = None, since: str | None = None
) -> tuple[list[Event], str | None]:
    """The registry-wide feed, newest first: the day partitions from the cursor's day (or
    `today`) back to `since`'s day (or the retention period), until `limit` events are found.
    The cursor is a sort key, as for the other partitions: its time names its day."""
    first = keys.audit_parts(before)[0].date() if before is not None else today
    oldest = today - timedelta(seconds=retention_seconds())
    if since is not None:
        oldest = max(oldest, datetime.fromisoformat(since_key(since)[:10]).date())
    found: list[Event] = []
    day = first
    while day >= oldest:
        events, cursor = query(day_key(day), limit=limit - len(found), before=before, since=since)
        found.extend(events)
        if cursor is not None:
            return found, cursor
        if len(found) == limit:
            return found, (found[-1].sort_key() if day > oldest else None)
        day -= timedelta(days=1)
        before = None
    return found, None
