"""Garbage collection's reference index (chalicelib/storage/gc_refs.py) against moto: every
link has its index entry and every unlink leaves a release candidate, atomically with the
link's own write, through every path that links or unlinks."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib.oci.digest import Digest, compute
from chalicelib.storage import blob_deletion, blobs, gc_refs, keys
from chalicelib.storage.models import BlobLinkItem, GcCandidateItem
from chalicelib.storage.transactions import transaction
from tests.api.helpers import image, push, random_bytes


def released(digest: Digest) -> bool:
    try:
        GcCandidateItem.get(keys.gc_candidate_pk(str(digest)), str(digest), consistent_read=True)
    except GcCandidateItem.DoesNotExist:
        return False
    return True


def store(repo: str) -> Digest:
    data = random_bytes(500)
    digest = compute(data, "sha256")
    blobs.commit_bytes(repo, digest, data)
    return digest


def test_a_link_writes_its_reference_and_an_unlink_releases_it(aws: Any, repo: str) -> None:
    digest = store(repo)
    other = f"{repo}-other"
    blobs.link(other, digest, 500, blobs.blob_key(digest))
    assert sorted(gc_refs.references(digest)) == sorted([repo, other])
    assert not released(digest)
    assert blobs.unlink(repo, digest)
    assert gc_refs.references(digest) == [other]
    assert released(digest)
    assert str(digest) in [name for name, _ in gc_refs.candidates()]


def test_a_relink_is_one_reference(aws: Any, repo: str) -> None:
    digest = store(repo)
    blobs.link(repo, digest, 500, blobs.blob_key(digest))
    assert gc_refs.references(digest) == [repo]


def test_a_refused_unlink_writes_nothing(aws: Any, repo: str) -> None:
    digest = store(repo)
    found = blobs.link_item(repo, digest)
    assert found is not None
    with pytest.raises(TransactWriteError), transaction() as tx:
        blobs.stage_unlink(tx, repo, digest, 500, BlobLinkItem.pk.does_not_exist())
    assert gc_refs.references(digest) == [repo]
    assert not released(digest)


def test_blob_delete_and_the_unlinker_release_references(client: Any, repo: str) -> None:
    pushed = image(layers=1)
    push(client, repo, pushed, "v1")
    layer = compute(pushed.blobs[0], "sha256")
    assert gc_refs.references(layer) == [repo]
    loose = store(repo)
    assert blob_deletion.delete(repo, loose)
    assert gc_refs.references(loose) == []
    assert released(loose)
