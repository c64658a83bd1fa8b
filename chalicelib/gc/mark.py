"""The mark phase: one consistent scan of the table, keys and a few attributes only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.config import settings
from chalicelib.storage.transactions import connection


@dataclass(slots=True)
class Marks:
    referenced: set[str] = field(default_factory=set)  # digests linked or listed by a manifest
    manifest_keys: set[str] = field(default_factory=set)  # `manifests/...` objects in use
    sessions: dict[str, int] = field(default_factory=dict)  # upload id -> expires_at
    # upload id -> the session item's sort key (`U` through the registry, `S3` direct)
    session_kinds: dict[str, str] = field(default_factory=dict)
    links: int = 0
    manifests: int = 0
    items: int = 0
    calls: int = 0


def _items(marks: Marks, limit: int | None) -> Iterator[dict[str, Any]]:
    # The botocore client itself: pynamodb's Connection.scan wants DescribeTable to page.
    client: Any = connection().client
    args: dict[str, Any] = {
        "TableName": settings().table,
        "ConsistentRead": True,
        "ProjectionExpression": "#p, #s, #b, #e, #k",
        "ExpressionAttributeNames": {
            "#p": "pk",
            "#s": "sk",
            "#b": "blobs",
            "#e": "expires_at",
            "#k": "s3_key",
        },
    }
    if limit:
        args["Limit"] = limit
    while True:
        page = client.scan(**args)
        marks.calls += 1
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return
        args["ExclusiveStartKey"] = start


def scan(limit: int | None = None) -> Marks:
    """Every blob digest some repository links or some manifest lists, every large
    manifest's object key, and every session (`limit`: items per page, for tests)."""
    marks = Marks()
    for item in _items(marks, limit):
        marks.items += 1
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if pk.startswith("R#"):
            if sk.startswith("B#"):
                marks.links += 1
                marks.referenced.add(sk[2:])
            elif sk.startswith("M#"):
                marks.manifests += 1
                # A manifest's blobs stay even if someone unlinked them from its repository.
                marks.referenced.update(v["S"] for v in item.get("blobs", {}).get("L", []))
                if "s3_key" in item:  # a large manifest's body (storage/manifests.py)
                    marks.manifest_keys.add(item["s3_key"]["S"])
        elif pk.startswith("U#"):
            marks.sessions[pk[2:]] = int(item.get("expires_at", {}).get("N", "0"))
            marks.session_kinds[pk[2:]] = sk
    return marks
