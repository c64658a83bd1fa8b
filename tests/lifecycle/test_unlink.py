"""Lifecycle unlinks the layers of the images it expires (chalicelib/storage/unlinking.py),
against moto: what goes and what stays, garbage collection after it, the counters, and
manifest pushes racing the unlink (before, inside and around its lease)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from berth.commands.lifecycle import summary
from chalicelib.config import settings
from chalicelib.gc.collect import collect
from chalicelib.lifecycle import executor
from chalicelib.storage import blobs, clock, unlinking
from chalicelib.storage import manifests as manifest_storage
from chalicelib.storage.models import REPOS_PARTITION, RepositoryItem
from tests.api.helpers import (
    OCI_CONFIG,
    Pushed,
    assert_error,
    assert_ok,
    blob_head,
    canonical,
    config_blob,
    descriptor,
    digest_of,
    get_manifest,
    header,
    image,
    push,
    push_blob,
    push_image,
    put_manifest,
    random_bytes,
)
from tests.lifecycle.test_executor import UNTAGGED_7, later, set_policy
from tests.storage.test_counters import counters_match


@pytest.fixture
def aged() -> Any:
    """`with aged():` links made inside are dated two hours ago, past PROTECT."""

    @contextmanager
    def dated() -> Iterator[None]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(blobs, "now", lambda: datetime.now(UTC) - timedelta(hours=2))
            yield

    return dated


@pytest.fixture(autouse=True)
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No test sleeps: a wait moves unlinking's clock forward instead (appending to it
    moves the clock too)."""
    offset: list[float] = []
    real = clock.source
    monkeypatch.setattr(clock, "source", lambda: real() + timedelta(seconds=sum(offset)))
    monkeypatch.setattr(unlinking, "sleep", offset.append)
    return offset


def sharing(base: Pushed, *extra: bytes) -> Pushed:
    """An image with `base`'s layers (plus `extra` ones) and a config of its own."""
    config = config_blob()
    document = dict(base.document)
    document["config"] = descriptor(OCI_CONFIG, config)
    layer_type = base.document["layers"][0]["mediaType"]
    document["layers"] = [*base.document["layers"], *(descriptor(layer_type, b) for b in extra)]
    return Pushed(canonical(document), base.media_type, [config, *base.blobs[1:], *extra], document)


def linked(client: Any, repo: str, data: bytes) -> bool:
    return int(blob_head(client, repo, digest_of(data)).status_code) == 200


def put(client: Any, repo: str, manifest: Pushed, tag: str | None = None) -> Any:
    return put_manifest(client, repo, tag or manifest.digest, manifest.body, manifest.media_type)


def unavailable(response: Any) -> None:
    """503 UNAVAILABLE (not in the spec's table: assert_error refuses it), which clients retry."""
    assert int(response.status_code) == 503, response.body
    assert json.loads(response.body)["errors"][0]["code"] == "UNAVAILABLE"


def stored(s3: Any, data: bytes) -> bool:
    key = f"blobs/sha256/{digest_of(data)[7:]}"
    return "Contents" in s3.list_objects_v2(Bucket=settings().bucket, Prefix=key)


def test_expired_layers_are_unlinked_then_collected_shared_and_recent_stay(
    client: Any, repo: str, s3: Any, aged: Any
) -> None:
    with aged():
        old = push_image(client, repo, layers=2)
        kept = sharing(old)
        push(client, repo, kept, "v1")
        stray = random_bytes(71)  # linked long ago, never used by a manifest
        push_blob(client, repo, stray)
    recent = random_bytes(70)  # an image being pushed: its layers come first
    push_blob(client, repo, recent)
    set_policy(repo, UNTAGGED_7)
    config = old.blobs[0]
    going = sorted([(digest_of(config), len(config)), (digest_of(stray), len(stray))])

    dry = executor.run_repository(repo, dry_run=True, now=later(8))
    assert sorted((u["digest"], u["size"]) for u in dry.unlink) == going
    assert dry.document()["unlinkBytes"] == len(config) + len(stray)
    assert linked(client, repo, config) and linked(client, repo, stray), "a dry run unlinks nothing"
    total = len(config) + len(stray)
    assert f"would unlink 2 blob links ({total} bytes)" in summary(dry.document())[-1]
    before = counters_match(repo)

    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert run.deleted == [old.digest]
    assert sorted((u["digest"], u["size"]) for u in run.unlink) == going
    assert run.unlink_complete and run.document()["unlinkComplete"]
    assert summary(run.document())[-1] == f"{repo}: unlinked 2 blob links ({total} bytes)"
    assert not linked(client, repo, config) and not linked(client, repo, stray)
    for blob in [*kept.blobs, recent]:
        assert linked(client, repo, blob), "shared with a kept image, or linked recently"
    after = counters_match(repo)
    assert after[1] == before[1] - 2 and after[0] == before[0] - len(config) - len(stray)
    item = RepositoryItem.get(REPOS_PARTITION, repo, consistent_read=True)
    assert item.unlinking_until is not None and item.unlinking_until <= unlinking.stamp()

    collect(now=datetime.now(UTC) + timedelta(hours=2))
    assert not stored(s3, config) and not stored(s3, stray)
    for blob in [*kept.blobs, recent]:
        assert stored(s3, blob)
    # Pushes go on after the run (past the fence's skew).
    push(client, repo, sharing(kept), "v2")


def test_a_run_that_deletes_nothing_unlinks_nothing(client: Any, repo: str, aged: Any) -> None:
    with aged():
        stray = random_bytes(60)
        push_blob(client, repo, stray)
        push_image(client, repo, "v1")
    set_policy(repo, UNTAGGED_7)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert run.deleted == [] and run.unlink == [] and linked(client, repo, stray)


def test_a_held_lease_makes_a_push_retry_then_503_and_an_expired_one_lets_it_through(
    client: Any, repo: str, slept: list[float]
) -> None:
    push_image(client, repo)
    start = unlinking.stamp()
    assert unlinking._acquire(repo, "crashed-run", start, start + unlinking.LEASE)
    assert not unlinking._acquire(repo, "another-run", start, start + unlinking.LEASE)
    waiting = image()
    for blob in waiting.blobs:
        push_blob(client, repo, blob)
    response = put(client, repo, waiting, "v1")
    unavailable(response)
    assert slept == list(unlinking.WAITS), "it backed off while the lease was held"
    retry = int(header(response, "Retry-After") or 0)
    assert 1 <= retry <= unlinking.LEASE
    assert int(get_manifest(client, repo, "v1").status_code) == 404, "nothing written"
    slept.append(unlinking.LEASE)  # the crashed run's lease expires
    assert_ok(put(client, repo, waiting, "v1"), 201)
    counters_match(repo)


def test_a_push_committed_before_the_lease_keeps_its_blobs(
    client: Any, repo: str, aged: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with aged():
        old = push_image(client, repo)
    set_policy(repo, UNTAGGED_7)
    reuse = _reusing_config(client, repo, old)
    real = unlinking._acquire

    def push_then_acquire(*args: Any) -> bool:
        assert_ok(put(client, repo, reuse, "reuse"), 201)
        return real(*args)

    monkeypatch.setattr(unlinking, "_acquire", push_then_acquire)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert run.deleted == [old.digest]
    assert [u["digest"] for u in run.unlink] == [digest_of(old.blobs[1])], "not the config"
    assert all(linked(client, repo, blob) for blob in reuse.blobs)
    assert int(get_manifest(client, repo, "reuse").status_code) == 200
    counters_match(repo)


def _reusing_config(client: Any, repo: str, old: Pushed) -> Pushed:
    """A new image with the expiring image's config: its other blobs are pushed now."""
    layer = random_bytes(41)
    document = dict(old.document)
    document["layers"] = [descriptor(old.document["layers"][0]["mediaType"], layer)]
    push_blob(client, repo, layer)
    return Pushed(canonical(document), old.media_type, [old.blobs[0], layer], document)


def test_a_push_inside_the_lease_waits_and_then_finds_the_blob_unlinked(
    client: Any, repo: str, aged: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with aged():
        old = push_image(client, repo)
    set_policy(repo, UNTAGGED_7)
    late = _reusing_config(client, repo, old)
    real = unlinking.unreferenced
    answers: list[Any] = []

    def push_inside(*args: Any) -> list[unlinking.Link]:
        answers.append(put(client, repo, late, "late"))  # the lease is held now
        return real(*args)

    monkeypatch.setattr(unlinking, "unreferenced", push_inside)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert sorted(u["digest"] for u in run.unlink) == sorted(map(digest_of, old.blobs))
    unavailable(answers[0])
    # The client retries after the lease: its check sees the blob gone.
    assert_error(put(client, repo, late, "late"), 400, "MANIFEST_BLOB_UNKNOWN")
    assert int(get_manifest(client, repo, "late").status_code) == 404
    counters_match(repo)


def test_a_whole_run_between_a_push_check_and_its_transaction_fails_the_fence(
    client: Any, repo: str, aged: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push checked its links, then a run set its lease, unlinked and released it,
    then the push's transaction: it must not commit pointing at the unlinked config."""
    with aged():
        old = push_image(client, repo)
    set_policy(repo, UNTAGGED_7)
    late = _reusing_config(client, repo, old)
    real = manifest_storage.references_present
    runs: list[executor.RepoRun] = []

    def check_then_run(name: str, parsed: Any) -> None:
        real(name, parsed)
        if not runs:
            runs.append(executor.run_repository(repo, dry_run=False, now=later(8)))

    monkeypatch.setattr(manifest_storage, "references_present", check_then_run)
    response = put(client, repo, late, "late")
    assert sorted(u["digest"] for u in runs[0].unlink) == sorted(map(digest_of, old.blobs))
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")
    assert int(get_manifest(client, repo, "late").status_code) == 404
    counters_match(repo)


def test_a_blob_linked_again_between_the_query_and_the_delete_stays(
    client: Any, repo: str, aged: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with aged():
        old = push_image(client, repo)
    set_policy(repo, UNTAGGED_7)
    real = unlinking._unlink

    def relink_first(name: str, link: unlinking.Link, token: str) -> bool:
        push_blob(client, repo, old.blobs[0])  # a re-push: a new linked_at
        return real(name, link, token)

    monkeypatch.setattr(unlinking, "_unlink", relink_first)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert run.deleted == [old.digest]
    assert [u["digest"] for u in run.unlink] == [digest_of(old.blobs[1])]
    assert linked(client, repo, old.blobs[0]) and not linked(client, repo, old.blobs[1])
    counters_match(repo)


def test_a_run_stops_before_its_lease_runs_short(
    client: Any, repo: str, aged: Any, slept: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    with aged():
        old = push_image(client, repo, layers=2)
    set_policy(repo, UNTAGGED_7)
    real = unlinking._unlink

    def slow(name: str, link: unlinking.Link, token: str) -> bool:
        slept.append(unlinking.LEASE - unlinking.STOP_BEFORE)  # the first delete was slow
        return real(name, link, token)

    monkeypatch.setattr(unlinking, "_unlink", slow)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert len(run.unlink) == 1 and not run.unlink_complete
    assert sum(linked(client, repo, blob) for blob in old.blobs) == 2, "the rest stays"
    counters_match(repo)
    monkeypatch.setattr(unlinking, "_unlink", real)
    slept.append(unlinking.SKEW)
    assert len(unlinking.unlink_unreferenced(repo).links) == 2, "the next run goes on"
    counters_match(repo)


def test_what_unlinking_costs(client: Any, repo: str, aged: Any) -> None:
    """A lease UpdateItem, a query of manifests and one of links, one transaction per link,
    the release UpdateItem; a push that meets no lease pays nothing more (tests/bench)."""
    from bench.awscalls import recording

    with aged():
        for size in range(4):
            push_blob(client, repo, random_bytes(30 + size))  # no manifest uses them
    with recording() as recorder, recorder.window() as tally:
        assert len(unlinking.unlink_unreferenced(repo).links) == 4
    assert sorted(c.operation for c in tally.calls) == sorted(
        ["UpdateItem", "Query", "Query", *["TransactWriteItems"] * 4, "UpdateItem"]
    )
