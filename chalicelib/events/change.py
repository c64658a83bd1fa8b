"""A registry event, decoded from an audit item that the table's stream delivered (pure).

Only committed audit items of the repository partition (`AUDIT#R#<repository>`) become
events: an audit event is stored once per partition (repository, actor, subject), and the
repository's copy is the one that names what changed. Actions that are not changes to
images (logins, admin changes, blob deletes, denials) are not events."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.storage.keys import AUDIT_REPOSITORY_PREFIX as REPOSITORY_PREFIX

# Who a lifecycle run acts as (chalicelib/lifecycle/): its deletions are expiries.
LIFECYCLE_ACTOR = "system:lifecycle"

PUSH = "PUSH"
DELETE = "DELETE"
TAG = "TAG"
ROLLBACK = "ROLLBACK"
EXPIRE = "EXPIRE"
REFERRER = "REFERRER"
SIGNATURE = "SIGNATURE"  # a pushed signature verified (or not) under the signing policy
SCAN = "SCAN"  # a scan whose findings differ from the image's last ones (scanner/scan_events.py)
# A copy to a replication destination succeeded or failed: not from the stream, sent by
# the copy itself (chalicelib/replication/events.py), `detail` the event's fields.
REPLICATION = "REPLICATION"
KINDS = (PUSH, DELETE, TAG, ROLLBACK, EXPIRE, REFERRER, SIGNATURE, SCAN, REPLICATION)


@dataclass(frozen=True, slots=True)
class TagMove:
    tag: str
    before: str | None  # the digest the tag named before (None: a new tag)
    after: str | None  # the digest it names now (None: deleted)


@dataclass(frozen=True, slots=True)
class Change:
    """One change a user can observe, with a stable id (the same however often it is sent)."""

    id: str
    kind: str  # one of KINDS
    repository: str
    digest: str | None
    at: datetime
    who: str
    tags: tuple[TagMove, ...] = ()
    media_type: str | None = None
    artifact_type: str | None = None
    size: int | None = None
    subject: str | None = None  # for a referrer: the digest it refers to
    source_ip: str | None = None
    user_agent: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def time(self) -> str:
        return self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_id(pk: str, sk: str) -> str:
    """Stable and free of `.` (Standard Webhooks signs `id.timestamp.body`)."""
    return "evt_" + hashlib.sha256(f"{pk}\n{sk}".encode()).hexdigest()[:32]


def _kind(action: str, who: str, detail: dict[str, Any], tags: tuple[TagMove, ...]) -> str | None:
    if action == "push":
        if detail.get("subject"):
            return REFERRER
        if detail.get("existing") and tags:
            return TAG  # a manifest the repository had, pushed again to move tags
        return PUSH
    if action == "expire":  # a lifecycle deletion, whoever started the run
        return EXPIRE
    if action == "delete":  # records from before lifecycle deletions had their own action
        if detail.get("blob"):
            return None  # a blob is not an image
        return EXPIRE if who == LIFECYCLE_ACTOR else DELETE
    if action == "rollback":
        return ROLLBACK
    if action == "tag":
        return TAG
    if action == "verify":
        return SIGNATURE
    if action == "scan":
        return SCAN
    return None


def _string(image: dict[str, Any], name: str) -> str | None:
    value = image.get(name)
    if isinstance(value, dict) and isinstance(value.get("S"), str):
        return str(value["S"])
    return None


def _json(image: dict[str, Any], name: str) -> Any:
    import json

    raw = _string(image, name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def from_stream_image(image: dict[str, Any]) -> Change | None:
    """The event an audit item stands for, from a stream record's `NewImage` (DynamoDB's
    typed JSON), or None if the item is not a committed change to an image."""
    pk, sk = _string(image, "pk"), _string(image, "sk")
    if pk is None or sk is None or not pk.startswith(REPOSITORY_PREFIX):
        return None
    if _string(image, "outcome") != "ok":
        return None
    action, who = _string(image, "action") or "", _string(image, "who") or "-"
    detail = _json(image, "detail")
    detail = detail if isinstance(detail, dict) else {}
    raw_tags = _json(image, "tags")
    tags = tuple(
        TagMove(str(t[0]), t[1], t[2])
        for t in (raw_tags if isinstance(raw_tags, list) else [])
        if isinstance(t, list) and len(t) == 3
    )
    kind = _kind(action, who, detail, tags)
    if kind is None:
        return None
    try:
        at = datetime.strptime(sk.split("#", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    size = detail.get("size")
    return Change(
        id=event_id(pk, sk),
        kind=kind,
        repository=pk[len(REPOSITORY_PREFIX) :],
        digest=_string(image, "digest"),
        at=at,
        who=who,
        tags=tags,
        media_type=detail.get("mediaType") if isinstance(detail.get("mediaType"), str) else None,
        artifact_type=(
            detail.get("artifactType") if isinstance(detail.get("artifactType"), str) else None
        ),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        subject=detail.get("subject") if isinstance(detail.get("subject"), str) else None,
        source_ip=_string(image, "source_ip"),
        user_agent=_string(image, "user_agent"),
        detail=detail if kind in (SIGNATURE, SCAN) else {},
    )
