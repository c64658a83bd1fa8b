"""Online garbage collection (chalicelib/gc/): what it deletes, what it never deletes, and
pushes racing it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.gc import guard
from chalicelib.gc.collect import collect
from chalicelib.oci.digest import Digest, compute
from chalicelib.storage import blobs, gc_fence
from chalicelib.storage.models import UploadItem
from tests.api.helpers import (
    assert_ok,
    image,
    patch_upload,
    push,
    random_bytes,
    start_upload,
)

LATER = timedelta(hours=2)


def later() -> datetime:
    """A moment past the grace period of everything stored so far."""
    return datetime.now(UTC) + LATER


def exists(s3: Any, key: str) -> bool:
    return "Contents" in s3.list_objects_v2(Bucket=settings().bucket, Prefix=key)


def store(repo: str, data: bytes) -> Digest:
    """A monolithic blob push, as the API does it."""
    digest = compute(data, "sha256")
    blobs.commit_bytes(repo, digest, data)
    return digest


def orphan(data: bytes) -> Digest:
    """A push that crashed between its S3 write and its link."""
    digest = compute(data, "sha256")
    blobs.put_bytes(digest, data)
    return digest


def test_crashed_push_is_kept_during_grace_then_collected(aws: Any, s3: Any) -> None:
    data = random_bytes(1000)
    digest = orphan(data)
    key = blobs.blob_key(digest)
    report = collect()
    assert exists(s3, key), "inside the grace period an object may be a push in progress"
    assert report.complete
    report = collect(now=later())
    assert not exists(s3, key)
    assert report.blobs >= 1 and report.blob_bytes >= 1000
    document = report.document()
    assert document["reclaimedBytes"] >= 1000
    assert document["calls"]["dynamodb"] >= 2 and document["calls"]["s3"] >= 2


def test_linked_and_manifest_listed_blobs_survive(client: Any, repo: str, s3: Any) -> None:
    pushed = image(layers=2)
    push(client, repo, pushed, "v1")
    linked = store(repo, random_bytes(300))
    # Unlinked by hand, but a manifest still lists it: a manifest's blobs are kept.
    listed = compute(pushed.blobs[1], "sha256")
    assert blobs.unlink(repo, listed)
    collect(now=later())
    for digest in (linked, listed, compute(pushed.blobs[0], "sha256")):
        assert exists(s3, blobs.blob_key(digest)), digest


def test_dry_run_deletes_nothing(aws: Any, s3: Any) -> None:
    digest = orphan(random_bytes(777))
    report = collect(dry_run=True, now=later())
    assert report.dry_run and report.blobs >= 1 and report.blob_bytes >= 777
    assert exists(s3, blobs.blob_key(digest))
    assert gc_fence.read(str(digest)) is None, "a dry run writes no marker"


def test_unlinked_blob_is_collected(client: Any, repo: str, s3: Any) -> None:
    digest = store(repo, random_bytes(500))
    assert blobs.unlink(repo, digest)
    report = collect(now=later())
    assert not exists(s3, blobs.blob_key(digest))
    assert report.blobs >= 1
    marker = gc_fence.read(str(digest))
    assert marker is not None and marker.state == guard.DELETED


def test_upload_expiry_cleans_staging_objects_and_sessions(client: Any, repo: str, s3: Any) -> None:
    dead = start_upload(client, repo)
    assert_ok(patch_upload(client, dead, random_bytes(2000)), 202)
    live = start_upload(client, repo)
    assert_ok(patch_upload(client, live, random_bytes(2000)), 202)
    dead_id, live_id = dead.rsplit("/", 1)[1], live.rsplit("/", 1)[1]
    UploadItem(f"U#{dead_id}", "U").update(actions=[UploadItem.expires_at.set(1000)])
    moment = later()
    live_item = UploadItem.get(f"U#{live_id}", "U")
    live_item.update(actions=[UploadItem.expires_at.set(int(moment.timestamp()) + 3600)])
    report = collect(now=moment)
    assert not exists(s3, f"uploads/{dead_id}/")
    assert exists(s3, f"uploads/{live_id}/")
    assert report.staging >= 1 and report.staging_bytes >= 2000 and report.sessions >= 1
    with pytest.raises(UploadItem.DoesNotExist):
        UploadItem.get(f"U#{dead_id}", "U")
    assert UploadItem.get(f"U#{live_id}", "U").offset == 2000


def test_staging_objects_of_vanished_sessions_are_collected(aws: Any, s3: Any) -> None:
    key = "uploads/" + "ab" * 16 + "/chunk-0"
    s3.put_object(Bucket=settings().bucket, Key=key, Body=b"x" * 10)
    collect()
    assert exists(s3, key), "inside the grace period"
    collect(now=later())
    assert not exists(s3, key)


# The hard race: an old unreferenced object that a push finds already there.


def test_push_vetoes_a_condemned_blob(repo: str, s3: Any) -> None:
    data = random_bytes(400)
    digest = orphan(data)
    guard.condemn([str(digest)], "run-1")
    store(repo, data)  # finds the object there: links, sees the marker, vetoes it
    assert gc_fence.read(str(digest)) is None
    assert not guard.claim(str(digest), "run-1"), "the collector's claim now fails"
    assert exists(s3, blobs.blob_key(digest))


def test_push_restores_a_blob_deleted_under_it(repo: str, s3: Any) -> None:
    data = random_bytes(400)
    digest = orphan(data)
    key = blobs.blob_key(digest)
    # The collector claimed and deleted between the push's S3 step and its link.
    guard.condemn([str(digest)], "run-2")
    assert guard.claim(str(digest), "run-2")
    s3.delete_object(Bucket=settings().bucket, Key=key)
    guard.mark_deleted([str(digest)], "run-2")
    key2, fresh = key, False  # the push saw the object before it went
    assert blobs.link_stored(
        repo, digest, len(data), key2, fresh=fresh, restore=lambda: blobs.put_bytes(digest, data)
    )
    assert s3.get_object(Bucket=settings().bucket, Key=key)["Body"].read() == data


def test_mount_of_a_collected_blob_falls_back_to_an_upload(client: Any, repo: str, s3: Any) -> None:
    source = f"{repo}-src"
    data = random_bytes(300)
    digest = store(source, data)
    key = blobs.blob_key(digest)
    guard.condemn([str(digest)], "run-3")
    assert guard.claim(str(digest), "run-3")
    s3.delete_object(Bucket=settings().bucket, Key=key)
    guard.mark_deleted([str(digest)], "run-3")
    response = client.http.post(f"/v2/{repo}/blobs/uploads/?mount={digest}&from={source}")
    assert_ok(response, 202)  # an upload session instead of a link to nothing
    assert blobs.get_link(repo, digest) is None


def test_a_collection_waits_for_the_lease(aws: Any) -> None:
    assert guard.acquire_lease("someone-else")
    try:
        report = collect(now=later())
        assert report.busy and not report.complete
        assert json.dumps(report.document())
    finally:
        guard.release_lease("someone-else")


def test_the_mark_phase_pages_through_the_table(client: Any, repo: str) -> None:
    from chalicelib.gc import mark

    for _ in range(3):
        store(repo, random_bytes(50))
    whole = mark.scan()
    paged = mark.scan(limit=2)
    assert paged.calls > whole.calls >= 1
    assert paged.referenced == whole.referenced and paged.sessions == whole.sessions


# A re-link between the mark and the condemn (issue 19, M1): the collection's second scan is
# all that stands between such a blob and the sweep. Injected by wrapping the real functions.


def _relink_before_condemn(monkeypatch: pytest.MonkeyPatch, relink: Any) -> list[str]:
    """Run `relink()` once, after the first mark and before the markers are written."""
    real = guard.condemn
    ran: list[str] = []

    def condemn_after_relink(digests: Any, run: str) -> None:
        if not ran:
            ran.append(run)
            relink()
        real(digests, run)

    monkeypatch.setattr(guard, "condemn", condemn_after_relink)
    return ran


def test_a_push_between_mark_and_condemn_keeps_its_bytes(
    repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random_bytes(600)
    digest = orphan(data)  # old garbage a re-push is about to find in S3
    ran = _relink_before_condemn(monkeypatch, lambda: store(repo, data))
    report = collect(now=later())
    assert ran, "the collection must have condemned the orphan"
    assert blobs.get_link(repo, digest) is not None
    body = s3.get_object(Bucket=settings().bucket, Key=blobs.blob_key(digest))["Body"].read()
    assert body == data, "a blob linked before the markers must survive the sweep"
    assert report.spared >= 1
    assert gc_fence.read(str(digest)) is None, "the spared candidate's marker is released"


def test_a_mount_between_mark_and_condemn_keeps_its_bytes(
    client: Any, repo: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = f"{repo}-src", f"{repo}-dst"
    data = random_bytes(700)
    digest = orphan(data)

    def push_mount_unlink() -> None:
        # Through the API: a monolithic push finds the old object, a mount links it in a
        # second repository, and the first repository lets go of it again.
        response = client.http.post(
            f"/v2/{source}/blobs/uploads/?digest={digest}",
            body=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert_ok(response, 201)
        response = client.http.post(f"/v2/{target}/blobs/uploads/?mount={digest}&from={source}")
        assert_ok(response, 201)
        assert_ok(client.http.delete(f"/v2/{source}/blobs/{digest}"), 202)

    ran = _relink_before_condemn(monkeypatch, push_mount_unlink)
    collect(now=later())
    assert ran, "the collection must have condemned the orphan"
    assert blobs.get_link(source, digest) is None
    assert blobs.get_link(target, digest) is not None
    body = s3.get_object(Bucket=settings().bucket, Key=blobs.blob_key(digest))["Body"].read()
    assert body == data, "a mounted blob must keep its bytes"
