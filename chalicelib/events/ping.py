"""A test delivery: a `webhook.ping` sent to one webhook now, signed and logged as any
delivery is, so an admin (`berth webhook test`, or the webhooks page) sees at once whether the
receiver answers, without waiting for a push."""

from __future__ import annotations

import secrets
import time

from chalicelib.events.http_post import Outcome
from chalicelib.events.records import Webhook


def send(webhook: Webhook) -> Outcome:
    from chalicelib.events import formats
    from chalicelib.events.config import event_settings
    from chalicelib.events.deliver import ping

    webhook_id = webhook.id
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time()))
    ping_id = "ping_" + secrets.token_hex(12)
    body = formats.ping_body(ping_id, webhook_id, at, webhook.body_format, event_settings().source)
    message = {
        "webhook": webhook_id,
        "id": ping_id,
        "type": "webhook.ping",
        "body": formats.encode(body).decode(),
        "attempt": 1,
    }
    return ping(webhook_id, message)
