"""Immutable tags with exclusion patterns, through the `_berth/settings` extension."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import (
    assert_error,
    assert_ok,
    digest_of,
    head_manifest,
    header,
    image,
    index,
    json_of,
    push,
    push_blob,
    push_image,
    put_manifest,
)


def set_rules(client: Any, repo: str, immutable: bool, exclude: list[str] | None = None) -> Any:
    body = json.dumps({"immutableTags": immutable, "immutableTagsExclude": exclude or []})
    return client.http.put(
        f"/v2/{repo}/_berth/settings",
        headers={"content-type": "application/json"},
        body=body.encode(),
    )


def denied(response: Any, tag: str) -> None:
    assert_error(response, 403, "DENIED")
    error = json_of(response)["errors"][0]
    assert "immutable-tags" in error["message"] and repr(tag) in error["message"]
    assert error["detail"]["rule"] == "immutable-tags" and error["detail"]["tag"] == tag


def test_settings_round_trip(client: Any, repo: str) -> None:
    response = client.http.get(f"/v2/{repo}/_berth/settings")
    assert_ok(response, 200)
    assert json_of(response) == {
        "name": repo,
        "immutableTags": False,
        "immutableTagsExclude": [],
        "rollbackWindow": 10,
        "version": 0,
    }
    assert_ok(set_rules(client, repo, True, ["latest", "dev-*"]), 200)
    document = json_of(client.http.get(f"/v2/{repo}/_berth/settings"))
    assert document["immutableTags"] is True
    assert document["immutableTagsExclude"] == ["latest", "dev-*"]
    assert document["version"] == 1
    # What GET answers can be PUT back.
    again = client.http.put(f"/v2/{repo}/_berth/settings", body=json.dumps(document).encode())
    assert json_of(again)["version"] == 2


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"immutableTags": "yes"}',
        b'{"immutableTagsExclude": ["a b"]}',
        b'{"immutableTagsExclude": "latest"}',
        b'{"other": 1}',
    ],
)
def test_bad_settings_are_refused(client: Any, repo: str, body: bytes) -> None:
    response = client.http.put(f"/v2/{repo}/_berth/settings", body=body)
    assert_error(response, 400)
    assert json_of(client.http.get(f"/v2/{repo}/_berth/settings"))["version"] == 0


def test_immutable_tag_cannot_move_but_excluded_ones_can(client: Any, repo: str) -> None:
    release = push_image(client, repo, "v1.0")
    push_image(client, repo, "latest")
    push_image(client, repo, "dev-abc")
    assert_ok(set_rules(client, repo, True, ["latest", "dev-*"]), 200)

    other = image()
    push(client, repo, other)  # by digest: no tag moves
    denied(put_manifest(client, repo, "v1.0", other.body, other.media_type), "v1.0")
    # Pushing the same manifest again to an immutable tag is no move, so it is fine.
    assert_ok(put_manifest(client, repo, "v1.0", release.body, release.media_type), 201)
    # Excluded tags move; new tags are created (and then are immutable themselves).
    for tag in ("latest", "dev-abc", "v2.0"):
        assert_ok(put_manifest(client, repo, tag, other.body, other.media_type), 201)
    denied(put_manifest(client, repo, "v2.0", release.body, release.media_type), "v2.0")


def test_push_with_several_tags_is_all_or_nothing(client: Any, repo: str) -> None:
    push_image(client, repo, "v1")
    assert_ok(set_rules(client, repo, True, ["latest"]), 200)
    other = push_image(client, repo)
    response = put_manifest(
        client, repo, other.digest, other.body, other.media_type, {"tag": ["latest", "v1"]}
    )
    denied(response, "v1")
    tags = json_of(client.http.get(f"/v2/{repo}/tags/list"))["tags"]
    assert tags == ["v1"]  # latest was not created either


def test_immutable_tag_cannot_be_deleted_nor_its_manifest(client: Any, repo: str) -> None:
    release = push_image(client, repo, "v1")
    assert_ok(set_rules(client, repo, True), 200)
    denied(client.http.delete(f"/v2/{repo}/manifests/v1"), "v1")
    denied(client.http.delete(f"/v2/{repo}/manifests/{release.digest}"), "v1")
    assert_ok(client.http.get(f"/v2/{repo}/manifests/v1"), 200)


def test_immutable_tag_cannot_be_rolled_back(client: Any, repo: str) -> None:
    first = push_image(client, repo, "v1")
    push_image(client, repo, "v1")
    assert_ok(set_rules(client, repo, True), 200)
    denied(client.http.post(f"/v2/{repo}/_berth/rollback/v1", body=b""), "v1")
    # Turning the rule off lets it move again.
    assert_ok(set_rules(client, repo, False), 200)
    assert_ok(client.http.post(f"/v2/{repo}/_berth/rollback/v1", body=b""), 200)
    assert tag_state(client, repo) == {"v1": first.digest}, "the rollback moved the tag"


# A refusal changes nothing (issue 19, M3): with one tag immutable among several, no tag may
# be deleted or moved before the immutable one is reached, in whatever order they come.


def tag_state(client: Any, repo: str) -> dict[str, str | None]:
    """Every tag of `repo` and the digest it names."""
    names = json_of(client.http.get(f"/v2/{repo}/tags/list"))["tags"] or []
    return {n: header(head_manifest(client, repo, n), "Docker-Content-Digest") for n in names}


@pytest.mark.parametrize(
    ("names", "exclude"),
    [
        (["latest", "v1"], ["latest"]),  # the immutable tag sorts last
        (["v1", "zz-dev"], ["zz-*"]),  # ... first
        (["latest", "v1", "zz-dev"], ["latest", "zz-*"]),  # ... between
    ],
)
def test_delete_by_digest_with_one_immutable_tag_deletes_nothing(
    client: Any, repo: str, names: list[str], exclude: list[str]
) -> None:
    release = push_image(client, repo, names[0])
    for name in names[1:]:
        assert_ok(push(client, repo, release, name), 201)
    assert_ok(set_rules(client, repo, True, exclude), 200)
    before = tag_state(client, repo)
    assert before == dict.fromkeys(names, release.digest)
    denied(client.http.delete(f"/v2/{repo}/manifests/{release.digest}"), "v1")
    assert tag_state(client, repo) == before, "a refused delete removed a tag"
    assert_ok(client.http.get(f"/v2/{repo}/manifests/{release.digest}"), 200)


@pytest.mark.parametrize("order", [["v1", "latest"], ["latest", "v1"]])
def test_push_with_tags_moving_an_immutable_one_moves_none(
    client: Any, repo: str, order: list[str]
) -> None:
    old = push_image(client, repo, "v1")
    assert_ok(push(client, repo, old, "latest"), 201)
    assert_ok(set_rules(client, repo, True, ["latest"]), 200)
    before = tag_state(client, repo)
    other = image()
    push(client, repo, other)  # its blobs, and the manifest by digest
    response = put_manifest(
        client, repo, other.digest, other.body, other.media_type, {"tag": order}
    )
    denied(response, "v1")
    assert tag_state(client, repo) == before == {"latest": old.digest, "v1": old.digest}


def test_rollback_to_a_digest_of_an_immutable_tag_moves_nothing(client: Any, repo: str) -> None:
    first = push_image(client, repo, "v1")
    second = push_image(client, repo, "v1")
    assert_ok(push(client, repo, first, "latest"), 201)
    assert_ok(set_rules(client, repo, True, ["latest"]), 200)
    before = tag_state(client, repo)
    assert before == {"latest": first.digest, "v1": second.digest}
    denied(client.http.post(f"/v2/{repo}/_berth/rollback/v1?to={first.digest}", body=b""), "v1")
    assert tag_state(client, repo) == before
    # The excluded tag still rolls: the refusal was about `v1` only.
    rolled = client.http.post(f"/v2/{repo}/_berth/rollback/latest?to={second.digest}", body=b"")
    assert_ok(rolled, 200)
    assert tag_state(client, repo) == {"latest": second.digest, "v1": second.digest}


def test_a_blob_an_immutable_image_needs_cannot_be_deleted(client: Any, repo: str) -> None:
    """Issue 11, D9: deleting a layer of an image under an immutable tag broke the image (202,
    then the layer was 404). The spec allows 405 for a blob that cannot be deleted."""
    release = push_image(client, repo, "v1", layers=2)
    moving = push_image(client, repo, "latest")
    loose = push_image(client, repo)  # untagged
    child = image()
    push(client, repo, child)
    multi = index([child])
    push(client, repo, multi, "multi")
    assert_ok(set_rules(client, repo, True, ["latest"]), 200)

    for blob, tag in [*((b, "v1") for b in release.blobs), (child.blobs[-1], "multi")]:
        response = client.http.delete(f"/v2/{repo}/blobs/{digest_of(blob)}")
        assert_error(response, 405, "UNSUPPORTED")
        error = json_of(response)["errors"][0]
        assert repr(tag) in error["message"] and "immutable" in error["message"]
        assert error["detail"]["tag"] == tag and error["detail"]["digest"] == digest_of(blob)
        assert_ok(client.http.head(f"/v2/{repo}/blobs/{digest_of(blob)}"), 200)
    # What no immutable tag needs goes as before: an excluded tag's, an untagged image's.
    for blob in (moving.blobs[-1], loose.blobs[-1]):
        assert_ok(client.http.delete(f"/v2/{repo}/blobs/{digest_of(blob)}"), 202)
        assert client.http.head(f"/v2/{repo}/blobs/{digest_of(blob)}").status_code == 404
    assert_error(client.http.delete(f"/v2/{repo}/blobs/{digest_of(b'gone')}"), 404, "BLOB_UNKNOWN")
    # With the rule off, the client may delete anything again (the spec's default).
    assert_ok(set_rules(client, repo, False), 200)
    assert_ok(client.http.delete(f"/v2/{repo}/blobs/{digest_of(release.blobs[-1])}"), 202)


def test_a_blob_deleted_while_a_manifest_checks_it_is_not_tagged_immutable(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: a manifest PUT checks its blobs, the blob is deleted (nothing immutable needs
    it yet), then the PUT commits a new immutable tag. The delete raises the repository's
    unlinking fence in its transaction, so the PUT checks again and is refused."""
    from chalicelib.oci.digest import parse_digest
    from chalicelib.storage import blob_deletion, unlinking
    from chalicelib.storage import manifests as manifest_storage

    assert_ok(set_rules(client, repo, True), 200)
    pushed = image()
    for blob in pushed.blobs:
        push_blob(client, repo, blob)
    layer = parse_digest(digest_of(pushed.blobs[-1]))
    check = manifest_storage.references_present
    calls: list[int] = []

    def check_then_delete(name: str, parsed: Any) -> None:
        check(name, parsed)  # the first check sees every blob
        if not calls:
            assert blob_deletion.delete(repo, layer)
        calls.append(1)

    monkeypatch.setattr(manifest_storage, "references_present", check_then_delete)
    monkeypatch.setattr(unlinking, "sleep", lambda seconds: None)
    response = put_manifest(client, repo, "v1", pushed.body, pushed.media_type)
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")
    assert len(calls) == 1  # checked again after the fence, and refused
    assert_error(client.http.get(f"/v2/{repo}/manifests/v1"), 404, "MANIFEST_UNKNOWN")
