"""The mark phase: one consistent scan of the table, keys and a few attributes only."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.storage import raw_items
from chalicelib.storage.raw_items import LinkRow, ManifestRow, SessionRow


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


def scan(limit: int | None = None) -> Marks:
    """Every blob digest some repository links or some manifest lists, every large
    manifest's object key, and every session (`limit`: items per page, for tests)."""
    marks = Marks()
    for page in raw_items.scan(["pk", "sk", "blobs", "expires_at", "s3_key"], page_size=limit):
        marks.calls += 1
        for item in page:
            marks.items += 1
            row = raw_items.decode(item)
            if isinstance(row, LinkRow):
                marks.links += 1
                marks.referenced.add(row.digest)
            elif isinstance(row, ManifestRow):
                marks.manifests += 1
                # A manifest's blobs stay even if someone unlinked them from its repository.
                marks.referenced.update(row.blobs)
                if row.s3_key is not None:  # a large manifest's body (storage/manifests.py)
                    marks.manifest_keys.add(row.s3_key)
            elif isinstance(row, SessionRow):
                marks.sessions[row.upload_id] = row.expires_at
                marks.session_kinds[row.upload_id] = row.kind
    return marks
