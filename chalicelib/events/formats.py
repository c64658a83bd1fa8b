"""One change, three shapes: an EventBridge entry in ECR's style, a Berth webhook body
(Standard Webhooks' recommended `type`/`timestamp`/`data`), and a CloudEvents 1.0 structured
body. Pure: the caller supplies the source name."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.events.change import (
    DELETE,
    EXPIRE,
    REFERRER,
    REPLICATION,
    ROLLBACK,
    SCAN,
    SIGNATURE,
    TAG,
    Change,
)

IMAGE_ACTION = "Berth Image Action"
REFERRER_ACTION = "Berth Referrer Action"
SIGNATURE_VERDICT = "Berth Signature Verdict"
IMAGE_SCAN = "Berth Image Scan"  # ECR's `ECR Image Scan`, sent only when findings change
REPLICATION_ACTION = "Berth Replication Action"  # ECR's `ECR Replication Action`

# Webhook event kinds, as a subscriber names them (`berth webhook add --events ...`).
WEBHOOK_TYPES = {
    "PUSH": "image.pushed",
    DELETE: "image.deleted",
    TAG: "tag.moved",
    ROLLBACK: "tag.rolled_back",
    EXPIRE: "image.expired",
    REFERRER: "referrer.attached",
    SIGNATURE: "signature.verified",
    SCAN: "image.scanned",
    REPLICATION: "image.replicated",
}
CLOUDEVENT_TYPE_PREFIX = "dev.berth."


def detail_type(change: Change) -> str:
    if change.kind == SIGNATURE:
        return SIGNATURE_VERDICT
    if change.kind == SCAN:
        return IMAGE_SCAN
    if change.kind == REPLICATION:
        return REPLICATION_ACTION
    return REFERRER_ACTION if change.kind == REFERRER else IMAGE_ACTION


def _scanned_tags(change: Change) -> list[str]:
    """A scan moves no tag: its record names the tags pointing at the image when scanned."""
    if change.kind != SCAN:
        return []
    found = change.detail.get("tags")
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def detail(change: Change) -> dict[str, Any]:
    """EventBridge `detail`: ECR's field names where ECR has them (`action-type`, `result`,
    `repository-name`, `image-digest`, `image-tag`), so rules written for ECR carry over.
    A replication result carries its own fields (chalicelib/replication/events.py)."""
    if change.kind == REPLICATION:
        return {"event-id": change.id, **change.detail, "time": change.time}
    moved = [m for m in change.tags if m.tag]
    named = [m.tag for m in moved] or _scanned_tags(change)
    out: dict[str, Any] = {
        "event-id": change.id,
        "action-type": change.kind,
        "result": "SUCCESS",
        "repository-name": change.repository,
        "image-digest": change.digest,
        "image-tag": named[0] if len(named) == 1 else None,
        "image-tags": named,
        # A new tag has no previous digest, a deleted one no digest: those keys are left out.
        "tag-moves": [
            {
                k: v
                for k, v in (("tag", m.tag), ("previous-digest", m.before), ("digest", m.after))
                if v is not None
            }
            for m in moved
        ],
        "media-type": change.media_type,
        "artifact-type": change.artifact_type,
        "size": change.size,
        "subject-digest": change.subject,
        "verified": change.detail.get("verified") if change.kind == SIGNATURE else None,
        "signer": change.detail.get("signer") if change.kind == SIGNATURE else None,
        "reason": change.detail.get("reason") if change.kind == SIGNATURE else None,
        # ECR's scan event fields: `scan-status`, `finding-severity-counts`
        "scan-status": change.detail.get("status") if change.kind == SCAN else None,
        "finding-severity-counts": change.detail.get("counts") if change.kind == SCAN else None,
        "previous-finding-severity-counts": (
            change.detail.get("previousCounts") if change.kind == SCAN else None
        ),
        "actor": change.who,
        "source-ip": change.source_ip,
        "user-agent": change.user_agent,
        "time": change.time,
    }
    return {k: v for k, v in out.items() if v is not None}


def eventbridge_entry(change: Change, source: str, bus: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type(change),
        "Detail": json.dumps(detail(change), separators=(",", ":")),
        "Resources": [],
        "Time": change.at,
    }
    if bus:
        entry["EventBusName"] = bus
    return entry


def webhook_type(change: Change) -> str:
    return WEBHOOK_TYPES[change.kind]


def _data(change: Change) -> dict[str, Any]:
    data = detail(change)
    data.pop("event-id", None)
    data.pop("time", None)
    return data


def berth_body(change: Change) -> dict[str, Any]:
    return {"type": webhook_type(change), "timestamp": change.time, "data": _data(change)}


def cloudevent_body(change: Change, source: str) -> dict[str, Any]:
    """CloudEvents 1.0, structured JSON mode (`application/cloudevents+json`)."""
    return {
        "specversion": "1.0",
        "id": change.id,
        "source": source,
        "type": CLOUDEVENT_TYPE_PREFIX + webhook_type(change),
        "subject": change.repository,
        "time": change.time,
        "datacontenttype": "application/json",
        "data": _data(change),
    }


def cloudevent_source(source: str) -> str:
    """A URI-reference for CloudEvents' `source`: `berth.prod` becomes `/berth/prod`."""
    return "/" + source.replace(".", "/")


def ping_body(
    ping_id: str, webhook_id: str, at: str, body_format: str, source: str
) -> dict[str, Any]:
    """A `webhook.ping` in the webhook's own format, so a receiver can test its parser too."""
    data = {"webhook": webhook_id}
    if body_format == "cloudevents":
        return {
            "specversion": "1.0",
            "id": ping_id,
            "source": cloudevent_source(source),
            "type": CLOUDEVENT_TYPE_PREFIX + "webhook.ping",
            "time": at,
            "datacontenttype": "application/json",
            "data": data,
        }
    return {"type": "webhook.ping", "timestamp": at, "data": data}


def encode(body: dict[str, Any]) -> bytes:
    """Minified, as sent and as signed."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
