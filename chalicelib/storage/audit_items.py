"""The audit items of the one table, one per key of an event, and their staging into the
transaction of the change they record (written with it, or not at all)."""

from __future__ import annotations

import os

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.storage.audit_event import Event
from chalicelib.storage.models import _Item

DEFAULT_RETENTION_DAYS = 90


class AuditItem(_Item):
    """pk=AUDIT#R#<repository>, AUDIT#P#<principal> or AUDIT#D#<day>, sk=<time>#<nonce>."""

    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    who = UnicodeAttribute()
    repository = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    digest = UnicodeAttribute(null=True)
    tags = JSONAttribute(null=True)  # [[tag, from, to], ...]
    detail = JSONAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    events = NumberAttribute(default=1)  # how many events this record stands for
    expires_at = NumberAttribute()  # the table's TTL attribute: retention


def retention_seconds() -> int:
    """`BERTH_AUDIT_RETENTION_DAYS` (default 90): how long DynamoDB keeps an event."""
    days = int(os.environ.get("BERTH_AUDIT_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS)))
    return max(1, days) * 86400


def items(event: Event) -> list[AuditItem]:
    expires_at = int(event.at.timestamp()) + retention_seconds()
    return [
        AuditItem(
            key,
            event.sort_key(),
            action=event.action,
            outcome=event.outcome,
            who=event.who,
            repository=event.repository,
            subject=event.subject,
            digest=event.digest,
            tags=[list(t) for t in event.tags] or None,
            detail=event.detail or None,
            source_ip=event.source_ip,
            user_agent=event.user_agent,
            request_id=event.request_id,
            events=event.count,
            expires_at=expires_at,
        )
        for key in [*event.partitions(), event.feed_partition()]
    ]


def stage(tx: TransactWrite, event: Event) -> None:
    """Add the event to a transaction the request makes anyway: written with it, or not at all."""
    for item in items(event):
        tx.save(item)
