"""What the events package hands the API and the web pages: its subscriptions and their
delivery logs as plain, typed values, so no handler holds a pynamodb item (or its secret)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Webhook:
    """A webhook as an admin may see it: never its signing secret nor its Authorization
    header (only whether it has one)."""

    id: str
    url: str
    patterns: tuple[str, ...]
    events: tuple[str, ...]
    body_format: str
    enabled: bool
    has_authorization: bool
    allow_networks: tuple[str, ...]
    created_at: datetime
    created_by: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A deploy-on-push trigger: what moving `repository:tag` redeploys."""

    id: str
    repository: str
    tag: str
    kind: str  # ecs | lambda
    cluster: str | None
    service: str | None
    function: str | None
    image_repository: str | None
    enabled: bool
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One logged attempt of a webhook delivery or a trigger run."""

    at: str  # as logged (ISO 8601, UTC)
    event_id: str
    event_type: str
    attempt: int
    status: int | None  # the receiver's HTTP status; None: no answer
    ok: bool
    latency_ms: int
    error: str | None
    response: str | None  # the first bytes of the receiver's answer (a trigger's result)
