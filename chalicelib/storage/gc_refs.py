"""Garbage collection's reference index and release candidates, staged in the transactions
that link and unlink blobs, so a collection can find what changed without scanning the table.

A link `R#<repo>`/`B#<digest>` has a twin `REF#<digest>`/`L#<repo>`: the same
TransactWriteItems writes (or deletes) both, so the index holds exactly the links at every
commit, and a consistent Query of `REF#<digest>` is as good as a scan for that digest. An
unlink also writes a candidate `GCQ#<shard>`/`<digest>` in its transaction: the digest may
have lost its last reference. Both ride in transactions the request makes anyway, so a push
or a delete makes no more calls (two more items of write capacity each).

What still reads the whole table, and why: the collector (chalicelib/gc/collect.py) keeps
its full scan until manifests' references are indexed too (a manifest's `blobs` keep a
blob alive after its links are gone) and existing tables are backfilled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.oci.digest import Digest
from chalicelib.storage import keys
from chalicelib.storage.clock import epoch
from chalicelib.storage.models import GcCandidateItem, ReferenceItem

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite


def link_ref(repo: str, digest: Digest) -> ReferenceItem:
    return ReferenceItem(keys.ref_pk(str(digest)), keys.link_ref_sk(repo))


def candidate(digest: Digest) -> GcCandidateItem:
    return GcCandidateItem(keys.gc_candidate_pk(str(digest)), str(digest))


def stage_link(tx: TransactWrite, repo: str, digest: Digest) -> None:
    """The link's index entry, in the link's transaction."""
    item = link_ref(repo, digest)
    item.at = epoch()
    tx.save(item)


def stage_unlink(tx: TransactWrite, repo: str, digest: Digest) -> None:
    """In the unlink's transaction: the index entry goes, a release candidate comes."""
    tx.delete(link_ref(repo, digest))
    released = candidate(digest)
    released.released_at = epoch()
    tx.save(released)


def references(digest: Digest) -> list[str]:
    """The repositories that link `digest`, read consistently (the collector's re-check)."""
    return [
        keys.link_ref_repo(item.sk)
        for item in ReferenceItem.query(
            keys.ref_pk(str(digest)),
            ReferenceItem.sk.startswith(keys.LINK_REF_PREFIX),
            consistent_read=True,
        )
    ]


def candidates() -> list[tuple[str, int]]:
    """Every released digest with when it was released (one Query per shard)."""
    found: list[tuple[str, int]] = []
    for shard in range(keys.GC_CANDIDATE_SHARDS):
        for item in GcCandidateItem.query(
            f"{keys.GC_CANDIDATE_PREFIX}{shard}", consistent_read=True
        ):
            found.append((item.sk, int(item.released_at)))
    return found
