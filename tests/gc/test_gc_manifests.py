"""Garbage collection of large manifests' objects (`manifests/...`, kept in S3 because they
do not fit an item): released ones are reclaimed, referenced ones never, and a push of an
old unreferenced one racing a collection keeps its object."""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings
from chalicelib.gc import guard
from chalicelib.gc.collect import collect
from chalicelib.oci.digest import parse_digest
from chalicelib.storage.manifests import manifest_key
from tests.api.helpers import assert_ok, get_manifest, image, push
from tests.gc.test_gc import exists, later

BIG = 400 * 1024  # over storage/manifests.py's INLINE_LIMIT


def big_image() -> Any:
    return image(annotations={"big": "x" * BIG})


def test_a_released_large_manifest_is_reclaimed_a_kept_one_is_not(
    client: Any, repo: str, s3: Any
) -> None:
    kept, released = big_image(), big_image()
    push(client, repo, kept, "v1")
    push(client, repo, released)
    kept_key = manifest_key(parse_digest(kept.digest))
    released_key = manifest_key(parse_digest(released.digest))
    assert exists(s3, kept_key) and exists(s3, released_key)
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{released.digest}"), 202)
    dry = collect(dry_run=True, now=later())
    assert dry.manifests >= 1 and dry.manifest_bytes >= BIG and exists(s3, released_key)
    collect()
    assert exists(s3, released_key), "inside the grace period"
    report = collect(now=later())
    assert not exists(s3, released_key)
    assert report.manifests >= 1 and report.manifest_bytes >= BIG
    assert report.document()["manifests"]["deleted"] >= 1
    assert exists(s3, kept_key)
    assert get_manifest(client, repo, "v1").body == kept.body


def test_a_push_of_a_condemned_large_manifest_keeps_its_object(
    client: Any, repo: str, s3: Any
) -> None:
    """The collection condemned and deleted the old object, then the push (which had written
    it before the delete) commits: it reads the marker and writes the object again."""
    pushed = big_image()
    push(client, repo, pushed)
    key = manifest_key(parse_digest(pushed.digest))
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{pushed.digest}"), 202)
    guard.condemn([key], "run-m")
    assert guard.claim(key, "run-m")
    original = s3.put_object
    deleted: list[str] = []

    def put_then_collector_deletes(**kwargs: Any) -> Any:
        answer = original(**kwargs)
        if kwargs.get("Key") == key and not deleted:
            s3.delete_object(Bucket=settings().bucket, Key=key)
            guard.mark_deleted([key], "run-m")
            deleted.append(key)
        return answer

    from chalicelib.storage import aws

    client_s3 = aws.s3()
    saved = client_s3.put_object
    client_s3.put_object = put_then_collector_deletes
    try:
        push(client, repo, pushed, "again")
    finally:
        client_s3.put_object = saved
    assert deleted, "the collector's delete ran between the push's write and its commit"
    assert exists(s3, key)
    assert get_manifest(client, repo, "again").body == pushed.body


def test_a_condemned_large_manifest_pushed_again_is_vetoed(client: Any, repo: str, s3: Any) -> None:
    pushed = big_image()
    push(client, repo, pushed)
    key = manifest_key(parse_digest(pushed.digest))
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{pushed.digest}"), 202)
    guard.condemn([key], "run-v")
    push(client, repo, pushed, "back")
    assert not guard.claim(key, "run-v"), "the push vetoed the condemnation"
    assert exists(s3, key)
