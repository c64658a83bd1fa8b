"""What replication hands the API: its rules and the state of each copy as plain, typed
values, so no handler holds a pynamodb item or parses its sort key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.replication.destinations import Destination


@dataclass(frozen=True, slots=True)
class ReplicationRule:
    """A rule: which repositories (a pattern) and tags go to which destinations."""

    id: str
    repository: str  # a pattern: name, `ns/*` or `*`
    include_tags: tuple[str, ...]
    exclude_tags: tuple[str, ...]
    destinations: tuple[Destination, ...]  # references to credentials only
    actions: tuple[str, ...]
    referrers: bool
    enabled: bool
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """Where the copy of one image to one destination of one rule stands."""

    digest: str
    tag: str | None  # the latest copy's
    tags: tuple[str, ...]  # every tag it was copied under
    rule: str
    destination: str
    target: str
    action: str
    state: str
    attempts: int
    error: str | None
    updated_at: datetime
    done_at: datetime | None
