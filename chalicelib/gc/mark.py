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
    sessions: dict[str, int] = field(default_factory=dict)  # upload id -> expires_at
    links: int = 0
    manifests: int = 0
    items: int = 0
    calls: int = 0


def _items(marks: Marks) -> Iterator[dict[str, Any]]:
    start: dict[str, Any] | None = None
    while True:
        page = connection().scan(
            settings().table,
            attributes_to_get=["pk", "sk", "blobs", "expires_at"],
            exclusive_start_key=start,  # type: ignore[arg-type]  # a LastEvaluatedKey map works
            consistent_read=True,
        )
        marks.calls += 1
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def scan() -> Marks:
    """Every blob digest some repository links or some manifest lists, and every session."""
    marks = Marks()
    for item in _items(marks):
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
        elif pk.startswith("U#"):
            marks.sessions[pk[2:]] = int(item.get("expires_at", {}).get("N", "0"))
    return marks
