"""An audit event as the table stores it, and the keys it is stored under (pure: no AWS, no
clock of its own). Here, beside the other items of the one table, so that storage can stage
a change's event in the change's own transaction; chalicelib/audit/ builds events from
requests and reads them back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.storage import keys


def repository_key(repository: str) -> str:
    return keys.audit_repository_pk(repository)


def principal_key(principal: str) -> str:
    return keys.audit_principal_pk(principal)


def day_key(day: date) -> str:
    return keys.audit_day_pk(day)


def sort_key(at: datetime, nonce: str) -> str:
    """Time-ordered: `2026-11-28T10:00:00.123456Z#<nonce>`."""
    return keys.audit_sk(at, nonce)


def since_key(value: str) -> str:
    """The sort key at which events at or after `value` (ISO 8601) begin; ValueError if bad."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return sort_key(parsed, "")


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    outcome: str  # ok, failed, denied
    who: str  # a subject (`user:alice`), `unknown:<digest>`, or `-` (auth off)
    at: datetime
    repository: str | None = None
    subject: str | None = None  # the principal an admin change was about
    digest: str | None = None
    tags: tuple[tuple[str, str | None, str | None], ...] = ()  # (tag, from, to)
    detail: dict[str, Any] = field(default_factory=dict)
    source_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    count: int = 1  # > 1: this record stands for that many bounded events
    nonce: str = field(default_factory=lambda: secrets.token_hex(4))

    def partitions(self) -> list[str]:
        """The partitions it is looked up by: its repository, its actor, the principal
        changed (it is also stored in `feed_partition`)."""
        keys: list[str] = []
        if self.repository:
            keys.append(repository_key(self.repository))
        for principal in (self.who, self.subject):
            if principal and principal != "-" and principal_key(principal) not in keys:
                keys.append(principal_key(principal))
        return keys

    def feed_partition(self) -> str:
        """Its day's partition of the registry-wide feed."""
        return day_key(self.at.astimezone(UTC).date())

    def sort_key(self) -> str:
        return sort_key(self.at, self.nonce)

    def document(self) -> dict[str, Any]:
        """As the API answers it."""
        out: dict[str, Any] = {
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "action": self.action,
            "outcome": self.outcome,
            "who": self.who,
            "repository": self.repository,
            "subject": self.subject,
            "digest": self.digest,
            "tags": [{"tag": t, "from": a, "to": b} for t, a, b in self.tags] or None,
            "detail": self.detail or None,
            "sourceIp": self.source_ip,
            "userAgent": self.user_agent,
            "requestId": self.request_id,
            "count": self.count,
        }
        return {k: v for k, v in out.items() if v is not None}
