"""Garbage collection's reference index and release candidates, staged in the transactions
that link and unlink blobs, so a collection can find what changed without scanning the table.

A link `R#<repo>`/`B#<digest>` has a twin `REF#<digest>`/`L#<repo>`: the same
TransactWriteItems writes (or deletes) both, so the index holds exactly the links at every
commit, and a consistent Query of `REF#<digest>` is as good as a scan for that digest. An
unlink also writes a candidate `GCQ#<shard>`/`<digest>` in its transaction: the digest may
have lost its last reference. Both ride in transactions the request makes anyway, so a push
or a delete makes no more calls (two more items of write capacity each).

A manifest's references (the blobs it lists, the object of a large manifest) are
`REF#<name>`/`M#<repo>#<manifest>`: written in one BatchWriteItem per 25 *before* the
manifest's transaction, removed after its delete, with a candidate for each name written
before the delete. A crash between the two leaves a stale `M#` entry: it can only keep an
object longer, never lose one (the collector drops it once a consistent read finds the
manifest gone).

What still reads the whole table, and why: the collector (chalicelib/gc/collect.py) keeps
its full scan until existing tables are backfilled and it reads candidates instead."""

from __future__ import annotations

from collections.abc import Iterable
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
    """The repositories that link `digest`, read consistently."""
    return [
        keys.link_ref_repo(sk) for sk in holders(str(digest)) if sk.startswith(keys.LINK_REF_PREFIX)
    ]


def holders(name: str) -> list[str]:
    """Every index entry's sort key under `name` (a digest or a large manifest's object
    key), read consistently: the collector's re-check, after its marker is written."""
    return [item.sk for item in ReferenceItem.query(keys.ref_pk(name), consistent_read=True)]


def manifest_names(blobs: Iterable[str], s3_key: str | None) -> list[str]:
    """What a manifest keeps alive: the blobs it lists and its own object, if large."""
    return sorted({*blobs, *([s3_key] if s3_key else [])})


def add_manifest(repo: str, manifest: str, names: Iterable[str]) -> None:
    """Before the manifest's item commits: its entry under each name it keeps alive."""
    moment = epoch()
    with ReferenceItem.batch_write() as batch:
        for name in names:
            batch.save(
                ReferenceItem(keys.ref_pk(name), keys.manifest_ref_sk(repo, manifest), at=moment)
            )


def release_manifest(names: Iterable[str]) -> None:
    """Before a manifest's item is deleted: a candidate for each name it kept alive."""
    moment = epoch()
    with GcCandidateItem.batch_write() as batch:
        for name in names:
            batch.save(GcCandidateItem(keys.gc_candidate_pk(name), name, released_at=moment))


def drop_manifest(repo: str, manifest: str, names: Iterable[str]) -> None:
    """After a manifest's item is deleted: its entries go."""
    with ReferenceItem.batch_write() as batch:
        for name in names:
            batch.delete(ReferenceItem(keys.ref_pk(name), keys.manifest_ref_sk(repo, manifest)))


def candidates() -> list[tuple[str, int]]:
    """Every released digest with when it was released (one Query per shard)."""
    found: list[tuple[str, int]] = []
    for shard in range(keys.GC_CANDIDATE_SHARDS):
        for item in GcCandidateItem.query(
            f"{keys.GC_CANDIDATE_PREFIX}{shard}", consistent_read=True
        ):
            found.append((item.sk, int(item.released_at)))
    return found
