"""What a lifecycle run reads of one repository: one consistent query over its partition.

From `H#` on — tag history, manifests, the settings item and tags (blob links `B#` and
referrers `F#` sort before and are not read) — keys and a few attributes only, decoded by
chalicelib/storage/raw_items.py. The deletes are conditioned on what was read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.rules.immutability import TagRules
from chalicelib.storage import keys, raw_items
from chalicelib.storage.models import TagItem
from chalicelib.storage.raw_items import ManifestRow, MoveRow, SettingsRow, TagRow

# The attributes of manifests, tags, history entries and the settings item that a plan and
# its conditional deletes need.
_PROJECTED = [
    "size",
    "pushed_at",
    "claimed_at",
    "last_pulled",
    "subject",
    "children",
    "digest",
    "updated_at",
    "tag",
    "from_digest",
    "to_digest",
    "version",
    "immutable",
    "immutable_exclude",
    "rollback_window",
    "blobs",  # what its delete releases to garbage collection (storage/gc_refs.py)
    "s3_key",
]


@dataclass(frozen=True, slots=True)
class Observed:
    """What the run read of one manifest; its delete is conditioned on it."""

    digest: str
    size: int
    pushed_at: datetime
    claimed_at: datetime | None
    last_pulled: datetime | None
    subject: str | None
    children: tuple[str, ...]
    blobs: tuple[str, ...] = ()  # the blobs it lists, released when it is deleted
    s3_key: str | None = None  # a large manifest's object, released likewise


@dataclass(slots=True)
class Snapshot:
    manifests: dict[str, Observed]
    tags: dict[str, TagItem]  # tag -> its item (sk, digest, updated_at)
    moves: dict[str, list[tuple[str | None, str | None]]]  # tag -> (from, to), oldest first
    settings: TagRules  # immutable tags and the rollback window, with their version


def read(repo: str) -> Snapshot:
    """One query over the repository's partition: its manifests, tags, tag history and
    settings, consistent with each other as far as one paged query is (the deletes'
    conditions catch what changed after)."""
    manifests: dict[str, Observed] = {}
    tag_items: dict[str, TagItem] = {}
    moves: dict[str, list[tuple[str | None, str | None]]] = {}
    rules = TagRules()
    pages = raw_items.query_from(keys.repo_pk(repo), keys.HISTORY_PREFIX, _PROJECTED)
    for item in (item for page in pages for item in page):
        row = raw_items.decode(item)
        if isinstance(row, ManifestRow):
            assert row.pushed_at is not None
            manifests[row.digest] = Observed(
                row.digest,
                row.size,
                row.pushed_at,
                row.claimed_at,
                row.last_pulled,
                row.subject,
                row.children,
                row.blobs,
                row.s3_key,
            )
        elif isinstance(row, TagRow):
            assert row.updated_at is not None
            tag_items[row.name] = TagItem(
                row.pk, row.sk, digest=row.digest, updated_at=row.updated_at
            )
        elif isinstance(row, MoveRow):
            moves.setdefault(row.tag, []).append((row.from_digest, row.to_digest))
        elif isinstance(row, SettingsRow):
            rules = row.rules
    return Snapshot(manifests, tag_items, moves, rules)
