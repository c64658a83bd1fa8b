"""An audit event and the keys it is stored under (pure: no AWS, no clock of its own)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.storage import keys

MAX_USER_AGENT = 256
MAX_PATH = 512


def repository_key(repository: str) -> str:
    return keys.audit_repository_pk(repository)


def principal_key(principal: str) -> str:
    return keys.audit_principal_pk(principal)


def day_key(day: date) -> str:
    return keys.audit_day_pk(day)


# Kinds of subject the log records (`user:alice`); `system:` and `unknown:` are the log's own.
SUBJECT_KINDS = ("user", "robot", "iam", "system", "unknown")


def subject_of(spelling: str) -> str:
    """The subject the log files a principal under, from any spelling a client prints: the
    login `robot$ci` and `robot:ci` are one robot, a bare `alice` is the user `user:alice`."""
    if spelling.startswith("robot$"):
        return "robot:" + spelling[len("robot$") :]
    kind, colon, _ = spelling.partition(":")
    if colon and kind in SUBJECT_KINDS:
        return spelling
    return "user:" + spelling


def sort_key(at: datetime, nonce: str) -> str:
    """Time-ordered: `2026-11-28T10:00:00.123456Z#<nonce>`."""
    return keys.audit_sk(at, nonce)


def since_key(value: str) -> str:
    """The sort key at which events at or after `value` (ISO 8601) begin; ValueError if bad."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return sort_key(parsed, "")


def anonymised(name: str) -> str:
    """A login name nobody is known by, as stored: people type passwords into the user field,
    so an unknown name is kept only as a digest (enough to see one name tried many times)."""
    return "unknown:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean(text: str | None, limit: int) -> str | None:
    """Printable ASCII, cut to `limit` (user agents and paths are the caller's to choose)."""
    if text is None:
        return None
    return "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text[:limit])


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
