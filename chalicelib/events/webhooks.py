"""Webhook subscriptions: created, listed and removed by admins; matched against changes.

The stream handler matches every change against the subscriptions, so it reads them at
most once per CACHE_SECONDS per function instance (one Query), not once per change."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from chalicelib.auth.permissions import check_pattern, matches
from chalicelib.events import signing, targets
from chalicelib.events.cached import Cached
from chalicelib.events.change import KINDS, Change
from chalicelib.events.config import event_settings
from chalicelib.events.models import WebhookItem
from chalicelib.events.records import Webhook
from chalicelib.storage.clock import now
from chalicelib.storage.keys import (
    WEBHOOK_PREFIX,
    WEBHOOKS_PARTITION,
    subscription_id,
    webhook_sk,
)

CACHE_SECONDS = 15
MAX_WEBHOOKS = 100
MAX_PATTERNS = 20
FORMATS = ("berth", "cloudevents")


class WebhookError(ValueError):
    """Bad input to a webhook change (the API answers 400)."""


class NoSuchWebhook(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Created:
    item: WebhookItem
    secret: str  # shown once

    @property
    def webhook(self) -> Webhook:
        return webhook_of(self.item)


def new_id() -> str:
    return secrets.token_hex(8)


def create(
    *,
    url: str,
    patterns: list[str],
    events: list[str],
    body_format: str = "berth",
    authorization: str | None = None,
    allow_networks: list[str] | None = None,
    description: str | None = None,
    created_by: str | None = None,
) -> Created:
    try:
        target = targets.parse(url, allow_http=event_settings().allow_http)
        for pattern in patterns:
            check_pattern(pattern)
        allowed = targets.networks([*(allow_networks or []), *event_settings().allow_networks])
        if _is_address(target.host):  # a name is checked when delivering, as it resolves then
            targets.check([target.host], allowed)
    except ValueError as error:
        raise WebhookError(str(error)) from None
    if not patterns or len(patterns) > MAX_PATTERNS:
        raise WebhookError(f"give 1 to {MAX_PATTERNS} repository patterns")
    unknown = sorted(set(events) - set(KINDS))
    if not events or unknown:
        raise WebhookError(
            f"events are some of {', '.join(KINDS)}" + (f"; not {unknown}" if unknown else "")
        )
    if body_format not in FORMATS:
        raise WebhookError(f"format is one of {', '.join(FORMATS)}")
    if authorization is not None and (
        len(authorization) > 1024 or any(ord(c) < 0x20 or ord(c) > 0x7E for c in authorization)
    ):
        raise WebhookError("the authorization header is printable ASCII, at most 1024 characters")
    if len(list_all()) >= MAX_WEBHOOKS:
        raise WebhookError(f"a registry has at most {MAX_WEBHOOKS} webhooks")
    secret = signing.new_secret()
    item = WebhookItem(
        WEBHOOKS_PARTITION,
        webhook_sk(new_id()),
        url=url,
        patterns=patterns,
        events=sorted(set(events)),
        secret=secret,
        authorization=authorization,
        body_format=body_format,
        allow_networks=allow_networks or None,
        enabled=True,
        description=description,
        created_at=now(),
        created_by=created_by,
    )
    item.save(condition=WebhookItem.sk.does_not_exist())
    forget()
    return Created(item, secret)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def allowed_networks(webhook: WebhookItem) -> list[targets.Network]:
    """The webhook's own allowed networks and the operator's (`BERTH_WEBHOOK_ALLOW_NETWORKS`)."""
    values = [str(n) for n in webhook.allow_networks or []]
    return targets.networks([*values, *event_settings().allow_networks])


def id_of(item: WebhookItem) -> str:
    return subscription_id(item.sk)


def webhook_of(item: WebhookItem) -> Webhook:
    return Webhook(
        id_of(item),
        item.url,
        tuple(str(p) for p in item.patterns),
        tuple(str(e) for e in item.events),
        str(item.body_format),
        bool(item.enabled),
        item.authorization is not None,
        tuple(str(n) for n in item.allow_networks or ()),
        item.created_at,
        item.created_by,
        item.description,
    )


def find(webhook_id: str) -> Webhook:
    """The webhook `webhook_id` (NoSuchWebhook if there is none), as the API shows it."""
    return webhook_of(get(webhook_id))


def listing() -> list[Webhook]:
    return [webhook_of(item) for item in list_all()]


def get(webhook_id: str) -> WebhookItem:
    try:
        return WebhookItem.get(WEBHOOKS_PARTITION, webhook_sk(webhook_id), consistent_read=True)
    except WebhookItem.DoesNotExist:
        raise NoSuchWebhook(f"no webhook {webhook_id[:40]!r}") from None


def delete(webhook_id: str) -> None:
    item = get(webhook_id)
    item.delete()
    forget()


def set_enabled(webhook_id: str, enabled: bool) -> Webhook:
    """Pause (or resume) a webhook's deliveries without losing its secret or its log: while
    off, nothing new is queued for it and what was queued is dropped when its turn comes
    (deliver.py). Reaches every instance within CACHE_SECONDS."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.storage.transactions import condition_failed

    item = WebhookItem(WEBHOOKS_PARTITION, webhook_sk(webhook_id))
    try:
        item.update(actions=[WebhookItem.enabled.set(enabled)], condition=WebhookItem.pk.exists())
    except UpdateError as error:
        if condition_failed(error):
            raise NoSuchWebhook(f"no webhook {webhook_id[:40]!r}") from None
        raise
    forget()
    return find(webhook_id)


def list_all() -> list[WebhookItem]:
    return list(
        WebhookItem.query(
            WEBHOOKS_PARTITION,
            WebhookItem.sk.startswith(WEBHOOK_PREFIX),
            consistent_read=True,
        )
    )


_subscriptions: Cached[WebhookItem] = Cached(list_all, CACHE_SECONDS)


def forget() -> None:
    _subscriptions.forget()


def subscribed(change: Change, clock: float | None = None) -> list[WebhookItem]:
    """The enabled webhooks that want this change."""
    return [
        item
        for item in _subscriptions.current(clock)
        if item.enabled
        and change.kind in item.events
        and any(matches(str(p), change.repository) for p in item.patterns)
    ]
