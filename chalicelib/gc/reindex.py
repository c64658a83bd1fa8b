"""The one-time backfill of garbage collection's reference index, for tables written before
it existed: one consistent scan writes the entry of every link and manifest, then the index
marker `GC`/`index` says the incremental collector may rely on it.

Entries it writes carry `at = 0`: their holders were committed when the scan read them, so
the collector may check them against their holder at once (a holder deleted since the scan
makes its entry stale, and the delete's candidate brings the collector to it)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.storage import gc_refs, keys, raw_items
from chalicelib.storage.models import GcIndexItem, ReferenceItem
from chalicelib.storage.raw_items import LinkRow, ManifestRow

VERSION = 1


@dataclass(slots=True)
class Reindexed:
    links: int = 0
    manifests: int = 0
    entries: int = 0
    scan_calls: int = 0


def complete() -> bool:
    """Whether the index covers every item (one consistent GetItem)."""
    try:
        item = GcIndexItem.get(keys.GC_LEASE_PK, keys.GC_INDEX_SK, consistent_read=True)
    except GcIndexItem.DoesNotExist:
        return False
    return int(item.version) >= VERSION


def reindex(page_size: int | None = None) -> Reindexed:
    """Index every link and manifest; safe to run again (entries are idempotent)."""
    done = Reindexed()
    with ReferenceItem.batch_write() as batch:
        for page in raw_items.scan(["pk", "sk", "blobs", "s3_key"], page_size=page_size):
            done.scan_calls += 1
            for item in page:
                row = raw_items.decode(item)
                if isinstance(row, LinkRow):
                    done.links += 1
                    repo = keys.repo_of(item["pk"]["S"])
                    entries = [(row.digest, keys.link_ref_sk(repo))]
                elif isinstance(row, ManifestRow):
                    done.manifests += 1
                    repo = keys.repo_of(item["pk"]["S"])
                    sk = keys.manifest_ref_sk(repo, row.digest)
                    entries = [(n, sk) for n in gc_refs.manifest_names(row.blobs, row.s3_key)]
                else:
                    continue
                for name, sk in entries:
                    done.entries += 1
                    batch.save(ReferenceItem(keys.ref_pk(name), sk, at=0))
    GcIndexItem(keys.GC_LEASE_PK, keys.GC_INDEX_SK, version=VERSION).save()
    return done
