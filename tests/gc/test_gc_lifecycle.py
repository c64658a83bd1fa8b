"""What a lifecycle run expires the incremental collection reclaims (against moto): the
deleter releases an expired manifest's names (candidates before its delete, index entries
dropped after, as a manifest DELETE does), so layers only it used, and a large manifest's
object, go within an hour; layers another image uses stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.gc.collect import collect
from chalicelib.lifecycle import executor
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import blobs, gc_refs, keys
from chalicelib.storage.manifests import manifest_key
from tests.api.helpers import (
    OCI_CONFIG,
    OCI_LAYER,
    Pushed,
    canonical,
    config_blob,
    descriptor,
    digest_of,
    get_manifest,
    push,
    random_bytes,
)
from tests.gc.test_gc import exists
from tests.gc.test_gc_incremental import pending
from tests.gc.virtual_clock import VirtualClock, virtual_clock
from tests.lifecycle.test_executor import UNTAGGED_7, set_policy

WEEK_AND_A_DAY = timedelta(days=8)
PAST_GRACE = timedelta(hours=2)


@pytest.fixture
def moved(aws: Any) -> Iterator[VirtualClock]:
    with virtual_clock() as clock:
        yield clock


def image_of(layers: list[bytes], annotations: dict[str, str] | None = None) -> Pushed:
    config = config_blob()
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(OCI_CONFIG, config),
        "layers": [descriptor(OCI_LAYER, layer) for layer in layers],
    }
    if annotations:
        document["annotations"] = annotations
    return Pushed(canonical(document), document["mediaType"], [config, *layers], document)


def blob_stored(s3: Any, data: bytes) -> bool:
    return exists(s3, f"blobs/sha256/{digest_of(data)[7:]}")


def expire(repo: str, moved: VirtualClock, digest: str) -> None:
    """A week and a day on, the untagged-7-days rule expires `digest` (and only it)."""
    set_policy(repo, UNTAGGED_7)
    moved.advance(WEEK_AND_A_DAY)
    run = executor.run_repository(repo, dry_run=False)
    assert run.deleted == [digest], run.skipped


def test_expired_image_unique_layers_are_collected_shared_stay(
    client: Any, repo: str, s3: Any, moved: VirtualClock
) -> None:
    unique, shared = random_bytes(500), random_bytes(600)
    old = image_of([unique, shared])
    kept = image_of([shared])
    push(client, repo, old)
    push(client, repo, kept, "v1")
    expire(repo, moved, old.digest)
    config = old.blobs[0]
    for data in (config, unique, shared):
        assert not any(
            sk == keys.manifest_ref_sk(repo, old.digest) for sk in gc_refs.holders(digest_of(data))
        ), "the expired manifest's index entries are dropped after its delete"
    moved.advance(PAST_GRACE)
    report = collect(full=False)
    assert report.mode == "incremental" and report.complete
    assert not blob_stored(s3, config) and not blob_stored(s3, unique)
    assert blob_stored(s3, shared) and blob_stored(s3, kept.blobs[0])
    assert get_manifest(client, repo, "v1").body == kept.body
    assert not pending(digest_of(unique)) and not pending(digest_of(shared))


def test_expired_large_manifest_object_is_collected(
    client: Any, repo: str, s3: Any, moved: VirtualClock
) -> None:
    """A body over the item limit lives at manifests/...: only its release names it."""
    big = image_of([random_bytes(100)], annotations={"big": "x" * (400 * 1024)})
    push(client, repo, big)
    key = manifest_key(parse_digest(big.digest))
    assert exists(s3, key)
    expire(repo, moved, big.digest)
    assert pending(key), "released before the delete"
    moved.advance(PAST_GRACE)
    report = collect(full=False)
    assert not exists(s3, key)
    assert report.manifests >= 1


def test_layer_unlinked_while_the_manifest_held_it_goes_with_the_manifest(
    client: Any, repo: str, s3: Any, moved: VirtualClock
) -> None:
    """The unlink's candidate was settled as held (the manifest listed the layer); only the
    manifest's release can bring the collector back to it."""
    layer = random_bytes(300)
    old = image_of([layer])
    push(client, repo, old)
    assert blobs.unlink(repo, parse_digest(digest_of(layer)))
    moved.advance(PAST_GRACE)
    collect(full=False)
    assert blob_stored(s3, layer), "the manifest lists it"
    assert not pending(digest_of(layer))
    expire(repo, moved, old.digest)
    moved.advance(PAST_GRACE)
    collect(full=False)
    assert not blob_stored(s3, layer)


def test_a_manifest_pushed_again_during_the_run_keeps_its_layers(
    client: Any, repo: str, s3: Any, moved: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release is written, then a re-push changes the item and the delete's condition
    fails: the candidates are only a re-check, which finds the manifest holding its layers."""
    layer = random_bytes(300)
    old = image_of([layer])
    push(client, repo, old)
    release = gc_refs.release_manifest

    def release_then_repush(names: Any) -> None:
        release(names)
        push(client, repo, old)  # a new pushed_at: the run's condition no longer holds

    monkeypatch.setattr(gc_refs, "release_manifest", release_then_repush)
    set_policy(repo, UNTAGGED_7)
    moved.advance(WEEK_AND_A_DAY)
    run = executor.run_repository(repo, dry_run=False)
    assert run.deleted == [] and run.skipped[0]["why"] == executor.CHANGED
    assert pending(digest_of(layer))
    assert keys.manifest_ref_sk(repo, old.digest) in gc_refs.holders(digest_of(layer))
    moved.advance(PAST_GRACE)
    collect(full=False)
    assert blob_stored(s3, layer) and blob_stored(s3, old.blobs[0])
    assert not pending(digest_of(layer))
    assert get_manifest(client, repo, old.digest).body == old.body
