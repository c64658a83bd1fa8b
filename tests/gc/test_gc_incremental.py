"""The incremental collection (chalicelib/gc/incremental.py) against moto: it deletes what a
delete released and nothing anything still holds, drops stale index entries, survives the
crashes and races the marker protocol is for, and costs calls in proportion to what changed.

Every run here names its mode (`full=False`): the table is shared by the tests of a process,
and whether the index is complete is a table-wide marker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.gc import guard, incremental, reindex
from chalicelib.gc.collect import collect
from chalicelib.oci.digest import Digest, compute
from chalicelib.storage import blobs, gc_fence, gc_refs, keys, manifests
from chalicelib.storage.models import GcCandidateItem, GcIndexItem, ReferenceItem
from tests.api.helpers import image, push, random_bytes

LATER = timedelta(hours=2)


def later() -> datetime:
    return datetime.now(UTC) + LATER


def exists(s3: Any, key: str) -> bool:
    return "Contents" in s3.list_objects_v2(Bucket=settings().bucket, Prefix=key)


def store(repo: str, data: bytes) -> Digest:
    digest = compute(data, "sha256")
    blobs.commit_bytes(repo, digest, data)
    return digest


def pending(name: str) -> bool:
    try:
        GcCandidateItem.get(keys.gc_candidate_pk(name), name, consistent_read=True)
    except GcCandidateItem.DoesNotExist:
        return False
    return True


def drain() -> None:
    """Settle what other tests of this process released, so counts start from nothing."""
    collect(now=later(), full=False)


@pytest.fixture
def index_complete(aws: Any) -> Iterator[None]:
    """The index marker set for one test only (the default mode reads it)."""
    GcIndexItem(keys.GC_LEASE_PK, keys.GC_INDEX_SK, version=reindex.VERSION).save()
    yield
    GcIndexItem(keys.GC_LEASE_PK, keys.GC_INDEX_SK).delete()


def test_released_blob_is_collected_and_a_linked_one_kept(aws: Any, repo: str, s3: Any) -> None:
    gone = store(repo, random_bytes(500))
    kept = store(repo, random_bytes(300))
    elsewhere = store(f"{repo}-b", random_bytes(200))
    blobs.link(repo, elsewhere, 200, blobs.blob_key(elsewhere))
    for digest in (gone, elsewhere):
        assert blobs.unlink(repo, digest)
    collect(full=False)
    assert exists(s3, blobs.blob_key(gone)), "inside the grace period"
    report = collect(now=later(), full=False)
    assert report.mode == "incremental" and report.complete
    assert not exists(s3, blobs.blob_key(gone))
    assert exists(s3, blobs.blob_key(kept)) and exists(s3, blobs.blob_key(elsewhere))
    assert report.blobs >= 1 and report.blob_bytes >= 500
    marker = gc_fence.read(str(gone))
    assert marker is not None and marker.state == guard.DELETED
    assert not pending(str(gone)) and not pending(str(elsewhere))


def test_a_release_inside_the_grace_period_is_not_called_unreferenced(aws: Any, repo: str) -> None:
    """Found trying it as a user: with nothing deletable, `berth gc --dry-run` said "9
    unreferenced objects are younger than the grace period" where the full scan saw none: a
    young candidate is unchecked (it may still be referenced), so it is reported apart."""
    drain()
    shared = store(repo, random_bytes(400))
    blobs.link(f"{repo}-b", shared, 400, blobs.blob_key(shared))
    assert blobs.unlink(repo, shared)  # released here, still linked in the other repository
    report = collect(dry_run=True, full=False)
    document = report.document()["waiting"]
    assert document["objects"] == 0 and document["recentlyReleased"] >= 1
    assert document["collectableAt"] is not None
    settled = collect(now=later(), dry_run=True, full=False)
    assert settled.document()["waiting"]["objects"] == 0 and settled.blobs == 0


def test_default_mode_follows_the_index_marker(aws: Any, index_complete: None) -> None:
    assert collect(dry_run=True).mode == "incremental"


def test_default_mode_is_the_full_scan_until_reindexed(aws: Any) -> None:
    assert not reindex.complete()
    assert collect(dry_run=True).mode == "full"


def test_manifest_listed_blob_is_kept_until_the_manifest_goes(
    client: Any, repo: str, s3: Any
) -> None:
    pushed = image(layers=1)
    push(client, repo, pushed, "v1")
    layer = compute(pushed.blobs[0], "sha256")
    assert blobs.unlink(repo, layer)
    collect(now=later(), full=False)
    assert exists(s3, blobs.blob_key(layer)), "the manifest lists it"
    assert not pending(str(layer)), "the candidate was settled: still referenced"
    assert manifests.delete(repo, compute(pushed.body, "sha256"))
    assert pending(str(layer))
    collect(now=later(), full=False)
    assert not exists(s3, blobs.blob_key(layer))


def test_stale_manifest_entry_keeps_a_blob_only_during_grace(aws: Any, repo: str, s3: Any) -> None:
    digest = store(repo, random_bytes(300))
    # A manifest push that wrote its entries and crashed before its item; written (as far
    # as the first collection can tell) a moment before that collection.
    moment = later()
    absent = keys.manifest_ref_sk(repo, f"sha256:{'0' * 64}")
    young = int(moment.timestamp()) - 60
    ReferenceItem(keys.ref_pk(str(digest)), absent, at=young).save()
    assert blobs.unlink(repo, digest)
    collect(now=moment, full=False)
    assert exists(s3, blobs.blob_key(digest)), "a young entry may be a push in progress"
    assert pending(str(digest)) is False, "settled as held"
    blobs.link(repo, digest, 300, blobs.blob_key(digest))
    assert blobs.unlink(repo, digest)  # released again
    collect(now=moment + LATER, full=False)
    assert not exists(s3, blobs.blob_key(digest))
    assert gc_refs.holders(str(digest)) == []


def test_crash_between_candidate_and_unlink_keeps_the_blob(client: Any, repo: str, s3: Any) -> None:
    pushed = image(layers=1)
    push(client, repo, pushed, "v1")
    layer = compute(pushed.blobs[0], "sha256")
    gc_refs.release_manifest([str(layer)])  # a manifest delete that crashed after this
    collect(now=later(), full=False)
    assert exists(s3, blobs.blob_key(layer))
    assert not pending(str(layer))


def test_candidate_of_a_repushed_digest_is_dropped(aws: Any, repo: str, s3: Any) -> None:
    data = random_bytes(400)
    digest = store(repo, data)
    assert blobs.unlink(repo, digest)
    store(repo, data)  # pushed again before the collection
    assert pending(str(digest))
    collect(now=later(), full=False)
    assert exists(s3, blobs.blob_key(digest))
    assert not pending(str(digest))


def test_push_between_marker_and_recheck_is_seen(
    aws: Any, repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random_bytes(400)
    digest = store(repo, data)
    assert blobs.unlink(repo, digest)
    condemn = guard.condemn

    def condemn_then_push(names: Any, run: str) -> None:
        condemn(names, run)
        if str(digest) in list(names):
            store(repo, data)  # the push links (and its index entry) after the marker

    monkeypatch.setattr(guard, "condemn", condemn_then_push)
    report = collect(now=later(), full=False)
    assert exists(s3, blobs.blob_key(digest))
    assert report.spared >= 1
    assert blobs.get_link(repo, digest) is not None


def test_push_between_recheck_and_claim_vetoes(
    aws: Any, repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random_bytes(400)
    digest = store(repo, data)
    assert blobs.unlink(repo, digest)
    claim = guard.claim

    def push_then_claim(name: str, run: str) -> bool:
        if name == str(digest):
            store(repo, data)  # links, reads the `condemned` marker, vetoes it
        return claim(name, run)

    monkeypatch.setattr(guard, "claim", push_then_claim)
    report = collect(now=later(), full=False)
    assert exists(s3, blobs.blob_key(digest))
    assert report.spared >= 1


def test_push_after_the_delete_restores_the_object(
    aws: Any, repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random_bytes(400)
    digest = store(repo, data)
    assert blobs.unlink(repo, digest)
    collect(now=later(), full=False)
    assert not exists(s3, blobs.blob_key(digest))
    store(repo, data)
    assert exists(s3, blobs.blob_key(digest))


def test_calls_are_constant_without_changes_and_linear_in_changes(aws: Any, repo: str) -> None:
    drain()
    moment = later()
    calls = incremental.Calls()
    incremental.collect("run-0", moment, 3600, float("inf"), False, calls)
    assert (calls.dynamodb, calls.s3) == (keys.GC_CANDIDATE_SHARDS, 0)
    for k in (1, 3):
        digests = [store(repo, random_bytes(100)) for _ in range(k)]
        for digest in digests:
            assert blobs.unlink(repo, digest)
        calls = incremental.Calls()
        outcome = incremental.collect(
            f"run-{uuid.uuid4().hex}", later(), 3600, float("inf"), False, calls
        )
        assert len(outcome.deleted) == k
        # per change: Query, condemn, Query, claim, deleted marker, candidate (DynamoDB);
        # HeadObject, DeleteObjects (S3)
        assert (calls.dynamodb, calls.s3) == (keys.GC_CANDIDATE_SHARDS + 6 * k, 2 * k)


def test_reindex_indexes_what_was_written_before_the_index(client: Any, repo: str, s3: Any) -> None:
    pushed = image(layers=2)
    push(client, repo, pushed, "v1")
    layers = [compute(b, "sha256") for b in pushed.blobs]
    manifest = str(compute(pushed.body, "sha256"))
    # As a table from before the index: drop this repository's entries.
    for layer in layers:
        for sk in gc_refs.holders(str(layer)):
            ReferenceItem(keys.ref_pk(str(layer)), sk).delete()
    try:
        done = reindex.reindex()
        assert reindex.complete()
    finally:
        GcIndexItem(keys.GC_LEASE_PK, keys.GC_INDEX_SK).delete()
    assert done.links >= 3 and done.manifests >= 1
    for layer in layers:
        assert sorted(gc_refs.holders(str(layer))) == sorted(
            [keys.link_ref_sk(repo), keys.manifest_ref_sk(repo, manifest)]
        )
