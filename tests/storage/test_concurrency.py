"""Concurrency: two writers of one upload, one blob in two repositories, one tag moved by many."""

from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.api.storage_errors import as_oci_error
from chalicelib.oci.digest import Digest, compute, parse_digest
from chalicelib.storage import blobs, tags, uploads
from chalicelib.storage.errors import StorageError

MiB = 1024 * 1024


def _together(*work: Callable[[], Any]) -> list[Any]:
    """Run callables on threads released at once; each result or the exception it raised."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.parametrize("size", [1024, 6 * MiB])
def test_two_patches_at_the_same_offset_exactly_one_wins(aws: Any, repo: str, size: int) -> None:
    session = uploads.open_session(repo, "sha256")
    upload_id = uploads.upload_id_of(session)
    chunks = [uuid.uuid4().bytes * (size // 16), uuid.uuid4().bytes * (size // 16)]
    results = _together(
        *(lambda c=c: uploads.append(repo, upload_id, c, 0) for c in chunks)  # type: ignore[misc]
    )
    won = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1, results
    assert len(lost) == 1 and isinstance(lost[0], StorageError)
    assert as_oci_error(lost[0]).status == 416
    winner = chunks[won[0]]
    # The session holds exactly the winner's bytes: finishing with its digest succeeds.
    digest = compute(winner)
    finished = uploads.finish(repo, upload_id, b"", None, digest)
    assert finished.size == len(winner)
    link = blobs.get_link(repo, digest)
    assert link is not None and link.size == len(winner)


def test_same_blob_pushed_to_two_repositories_at_once(aws: Any, s3: Any) -> None:
    data = uuid.uuid4().bytes * (6 * MiB // 16 + 100)
    digest = compute(data)
    repos = [f"race/{uuid.uuid4().hex}" for _ in range(2)]

    def push(repo: str) -> Any:
        session = uploads.open_session(repo, "sha256")
        upload_id = uploads.upload_id_of(session)
        uploads.append(repo, upload_id, data[: 6 * MiB], 0)
        return uploads.finish(repo, upload_id, data[6 * MiB :], 6 * MiB, digest)

    results = _together(*(lambda r=r: push(r) for r in repos))  # type: ignore[misc]
    assert all(isinstance(r, uploads.Finished) for r in results), results
    for repo in repos:
        link = blobs.get_link(repo, digest)
        assert link is not None and link.size == len(data)
    stored = s3.get_object(Bucket=aws["BucketName"], Key=blobs.blob_key(digest))["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == digest.hex


def test_tag_moved_concurrently_keeps_every_move_in_history(aws: Any, repo: str) -> None:
    targets = [f"sha256:{hashlib.sha256(str(i).encode()).hexdigest()}" for i in range(6)]
    mt = "application/vnd.oci.image.manifest.v1+json"
    results = _together(
        *(lambda d=d: tags.move(repo, "latest", parse_digest(d), mt, b"{}") for d in targets)  # type: ignore[misc]
    )
    assert results == [True] * len(targets)
    history = tags.history(repo, "latest")
    assert len(history) == len(targets)
    # The moves form one chain: each starts where the previous one ended.
    chain = [(h.from_digest, h.to_digest) for h in history]
    assert chain[0][0] is None
    for (_, previous_to), (next_from, _) in itertools.pairwise(chain):
        assert next_from == previous_to
    assert {to for _, to in chain} == set(targets)
    current = tags.get(repo, "latest")
    assert current is not None and current.digest == chain[-1][1]


def test_a_second_finish_after_success_finds_no_session(aws: Any, repo: str) -> None:
    session = uploads.open_session(repo, "sha256")
    upload_id = uploads.upload_id_of(session)
    digest: Digest = compute(b"abc")
    uploads.finish(repo, upload_id, b"abc", None, digest)
    with pytest.raises(StorageError) as raised:
        uploads.finish(repo, upload_id, b"abc", None, digest)
    assert as_oci_error(raised.value).code == "BLOB_UPLOAD_UNKNOWN"


def test_a_tag_moved_away_while_its_old_manifest_is_deleted_stays(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DELETE of manifest A lists the tags pointing at A, then deletes each only if it still
    points at A: a push that moved the tag to B in between keeps it (wrapped, no timing)."""
    from chalicelib.storage import manifests
    from tests.api.helpers import assert_ok, head_manifest, header, push, push_image

    old = push_image(client, repo, "v1")
    new = push_image(client, repo)  # by digest; the push below only moves the tag
    listed = tags.pointing_at

    def pointing_then_moved(repo_: str, digest: Digest) -> list[str]:
        names = listed(repo_, digest)
        push(client, repo, new, "v1")
        return names

    monkeypatch.setattr(manifests.tags, "pointing_at", pointing_then_moved)
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{old.digest}"), 202)
    assert header(head_manifest(client, repo, "v1"), "Docker-Content-Digest") == new.digest
