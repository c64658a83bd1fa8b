"""Blob isolation: a blob is readable in a repository only when that repository links it.

The bytes are stored once, content-addressed, for all repositories (design.md 2.2); the link
is the access-control boundary. Issue 2: "A blob is readable in a repository only when that
repository links it (push, mount or a manifest that references it). Reading another
repository's blob by digest must give BLOB_UNKNOWN."
"""

from __future__ import annotations

from typing import Any

from tests.api.helpers import (
    OCI_INDEX,
    OCI_MANIFEST,
    assert_error,
    assert_head_error,
    assert_ok,
    blob_head,
    digest_of,
    fetch_blob,
    get_manifest,
    image,
    index,
    push_blob,
    push_image,
    put_manifest,
    put_upload,
    random_bytes,
    start_upload,
    with_query,
)


def test_blob_of_repo_a_is_blob_unknown_through_repo_b_get(client: Any, repo: str) -> None:
    """GET of A's blob through B: 404 BLOB_UNKNOWN, no redirect.

    Spec: "If the blob is not found in the repository, the response code MUST be `404 Not
    Found`." (a blob B never linked is not in repository B)
    """
    other = f"{repo}-b"
    push_blob(client, other, random_bytes(5))
    digest = push_blob(client, repo, random_bytes(100))
    response = client.http.get(f"/v2/{other}/blobs/{digest}")
    assert_error(response, 404, "BLOB_UNKNOWN")


def test_blob_of_repo_a_is_404_through_repo_b_head(client: Any, repo: str) -> None:
    """HEAD of A's blob through B: 404.

    Spec: "If the blob or manifest is not found in the repository, the response code MUST be
    `404 Not Found`."
    """
    other = f"{repo}-b"
    push_blob(client, other, random_bytes(5))
    digest = push_blob(client, repo, random_bytes(100))
    assert_head_error(client.http.head(f"/v2/{other}/blobs/{digest}"), 404)


def test_blob_of_repo_a_is_unknown_in_a_repository_never_pushed(client: Any, repo: str) -> None:
    """A's blob through a repository that does not exist at all: 404.

    Spec: "If the blob is not found in the repository, the response code MUST be `404 Not
    Found`."
    """
    digest = push_blob(client, repo, random_bytes(100))
    assert_error(
        client.http.get(f"/v2/{repo}-nobody/blobs/{digest}"), 404, "BLOB_UNKNOWN", "NAME_UNKNOWN"
    )


def test_mount_without_from_does_not_link_foreign_blob(client: Any, repo: str) -> None:
    """POST ?mount= with no `from`: a new session (202), and B still cannot read A's blob.

    Spec: "The registry MAY treat the `from` parameter as optional, and it MAY cross-mount the
    blob if it can be found." -- found *where the client may read it*; issue 2: "Reading
    another repository's blob by digest must give BLOB_UNKNOWN."
    """
    other = f"{repo}-b"
    digest = push_blob(client, repo, random_bytes(100))
    response = client.http.post(
        with_query(f"/v2/{other}/blobs/uploads/", {"mount": digest}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 202)
    assert_error(client.http.get(f"/v2/{other}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_mount_from_repository_without_link_does_not_link(client: Any, repo: str) -> None:
    """Mount naming a `from` that does not link the blob: 202, and the blob stays unreadable.

    Spec: "if a registry [...] is unable to mount the requested blob, it SHOULD return a
    `202`."
    """
    holder = f"{repo}-a"
    bystander = f"{repo}-c"
    target = f"{repo}-b"
    digest = push_blob(client, holder, random_bytes(100))
    push_blob(client, bystander, random_bytes(7))
    response = client.http.post(
        with_query(f"/v2/{target}/blobs/uploads/", {"mount": digest, "from": bystander}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 202)
    assert_error(client.http.get(f"/v2/{target}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert blob_head(client, bystander, digest).status_code == 404


def test_manifest_in_b_cannot_reference_blob_only_in_a(client: Any, repo: str) -> None:
    """A manifest pushed to B naming blobs linked only in A: MANIFEST_BLOB_UNKNOWN.

    Spec: "When a manifest is rejected for this reason, it MUST result in one or more
    `MANIFEST_BLOB_UNKNOWN` errors"
    """
    other = f"{repo}-b"
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    push_blob(client, other, random_bytes(5))
    response = put_manifest(client, other, "v1", manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")
    for blob in manifest.blobs:
        assert blob_head(client, other, digest_of(blob)).status_code == 404


def test_index_in_b_cannot_reference_manifest_only_in_a(client: Any, repo: str) -> None:
    """An index pushed to B whose child lives only in A is refused.

    Spec: "A registry MAY reject a manifest [...] with descriptors in other fields that
    reference a manifest or blob that does not exist in the registry."
    """
    other = f"{repo}-b"
    child = push_image(client, repo, "v1")
    push_blob(client, other, random_bytes(5))
    response = put_manifest(client, other, "multi", index([child]).body, OCI_INDEX)
    assert_error(response, (400, 404), "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN")


def test_manifest_of_a_is_unknown_through_b(client: Any, repo: str) -> None:
    """A's manifest by digest through B: 404 MANIFEST_UNKNOWN.

    Spec: "If the manifest is not found in the repository, the response code MUST be `404 Not
    Found`."
    """
    other = f"{repo}-b"
    manifest = push_image(client, repo, "v1")
    push_image(client, other, "v1")
    assert_error(get_manifest(client, other, manifest.digest), 404, "MANIFEST_UNKNOWN")


def test_same_bytes_pushed_to_b_become_readable(client: Any, repo: str, s3: Any) -> None:
    """Pushing the same bytes into B links them there (and A keeps them).

    Spec: "Even in the case where both uploads are accepted, the registry may securely only
    store one copy of the layer since the computed digests match."
    """
    other = f"{repo}-b"
    data = random_bytes(100)
    digest = push_blob(client, repo, data)
    location = start_upload(client, other)
    assert_ok(put_upload(client, location, data, digest), 201)
    assert fetch_blob(client, s3, other, digest) == data
    assert fetch_blob(client, s3, repo, digest) == data


def test_delete_in_a_does_not_remove_blob_from_b(client: Any, repo: str, s3: Any) -> None:
    """Deleting a shared blob from A leaves it readable in B.

    Spec: "To delete a blob, perform a `DELETE` request to a path in the following format:
    `/v2/<name>/blobs/<digest>`" -- in `<name>` only.
    """
    other = f"{repo}-b"
    data = random_bytes(100)
    digest = push_blob(client, repo, data)
    push_blob(client, other, data)
    assert_ok(client.http.delete(f"/v2/{repo}/blobs/{digest}"), 202)
    assert_error(client.http.get(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert fetch_blob(client, s3, other, digest) == data


def test_delete_through_b_of_blob_only_in_a_is_404(client: Any, repo: str, s3: Any) -> None:
    """DELETE of A's blob through B: 404, and A keeps it.

    Spec: "If the blob is not found, a `404 Not Found` code MUST be returned."
    """
    other = f"{repo}-b"
    data = random_bytes(100)
    digest = push_blob(client, repo, data)
    push_blob(client, other, random_bytes(5))
    assert_error(client.http.delete(f"/v2/{other}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert fetch_blob(client, s3, repo, digest) == data


def test_blob_linked_by_mount_is_readable_only_in_target(client: Any, repo: str) -> None:
    """A successful mount links into the target only, not into bystanders.

    Spec: "The response to a successful mount MUST be `201 Created`"
    """
    target = f"{repo}-b"
    bystander = f"{repo}-c"
    digest = push_blob(client, repo, random_bytes(50))
    push_blob(client, bystander, random_bytes(5))
    response = client.http.post(
        with_query(f"/v2/{target}/blobs/uploads/", {"mount": digest, "from": repo}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 201)
    assert_ok(blob_head(client, target, digest), 200)
    assert blob_head(client, bystander, digest).status_code == 404


def test_repository_and_its_sub_repository_are_separate(client: Any, repo: str) -> None:
    """`<name>` and `<name>/sub` share a prefix but nothing else: tags, manifests, blobs.

    Spec: "Repository: a scope for API calls on a registry for a collection of content
    (including manifests, blobs, and tags)."
    """
    sub = f"{repo}/sub"
    parent_image = push_image(client, repo, "parent")
    sub_image = push_image(client, sub, "child")
    parent_tags = client.http.get(f"/v2/{repo}/tags/list")
    assert_ok(parent_tags, 200)
    assert parent_tags.json_body["tags"] == ["parent"]
    sub_tags = client.http.get(f"/v2/{sub}/tags/list")
    assert_ok(sub_tags, 200)
    assert sub_tags.json_body["tags"] == ["child"]
    assert_error(get_manifest(client, repo, sub_image.digest), 404, "MANIFEST_UNKNOWN")
    assert_error(get_manifest(client, sub, parent_image.digest), 404, "MANIFEST_UNKNOWN")
    assert blob_head(client, repo, digest_of(sub_image.blobs[1])).status_code == 404
    assert blob_head(client, sub, digest_of(parent_image.blobs[1])).status_code == 404


def test_blob_holding_manifest_bytes_is_not_a_manifest(client: Any, repo: str) -> None:
    """Bytes pushed as a blob do not become a manifest, even when they are one.

    Spec: "Manifest: a JSON document uploaded via the manifests endpoint."
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    push_blob(client, repo, manifest.body)
    assert_error(get_manifest(client, repo, manifest.digest), 404, "MANIFEST_UNKNOWN")


def test_mount_sha512_blob(client: Any, repo: str, s3: Any) -> None:
    """A sha512 blob mounts like a sha256 one.

    Spec: "The response to a successful mount MUST be `201 Created`"
    """
    source = f"{repo}-a"
    data = random_bytes(60)
    digest = push_blob(client, source, data, algorithm="sha512")
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"mount": digest, "from": source}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 201)
    assert fetch_blob(client, s3, repo, digest) == data
