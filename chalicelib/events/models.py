"""Webhook subscriptions and their delivery log, in the metadata table.

pk=WEBHOOKS       sk=W#<id>               a webhook (one partition: a registry has few)
pk=WEBHOOK#<id>   sk=D#<time>#<event id>  one delivery attempt, kept DELIVERY_TTL
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.storage.models import _Item

# The keys live with every other key of the table (chalicelib/storage/keys.py).
DELIVERY_TTL = 14 * 86400


class WebhookItem(_Item):
    """What an admin subscribed: where, to which repositories and kinds, signed how."""

    url = UnicodeAttribute()
    patterns = ListAttribute(of=UnicodeAttribute)  # repository patterns: `team/*`, `*`
    events = ListAttribute(of=UnicodeAttribute)  # change kinds: PUSH, DELETE, ...
    # The Standard Webhooks signing secret. The function must read it to sign, so it is
    # stored as DynamoDB stores everything (encrypted at rest), never logged or listed.
    secret = UnicodeAttribute()
    authorization = UnicodeAttribute(null=True)  # a static Authorization header, if asked
    body_format = UnicodeAttribute(default="berth")  # berth | cloudevents
    allow_networks = ListAttribute(of=UnicodeAttribute, null=True)
    enabled = BooleanAttribute(default=True)
    description = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)


class DeliveryItem(_Item):
    """One attempt: what was sent, how the receiver answered."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    attempt = NumberAttribute()
    status = NumberAttribute(null=True)  # the receiver's HTTP status; None: no answer
    ok = BooleanAttribute()
    latency_ms = NumberAttribute()
    error = UnicodeAttribute(null=True)
    response = UnicodeAttribute(null=True)  # the first bytes of the receiver's answer
    payload = UnicodeAttribute(null=True)  # the event as queued, for redelivery
    expires_at = NumberAttribute()
