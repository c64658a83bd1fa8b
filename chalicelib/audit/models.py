"""The audit item, one per key of an event (see `chalicelib.audit` for the layout)."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.storage.models import _Item


class AuditItem(_Item):
    """pk=AUDIT#R#<repository> or AUDIT#P#<principal>, sk=<time>#<nonce>."""

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
