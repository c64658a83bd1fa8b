"""Manifests: GET / HEAD (end-3), PUT (end-7a/b), DELETE (end-9)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
    EMPTY_DIGEST,
    EMPTY_JSON,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    OCTET,
    Pushed,
    artifact,
    assert_error,
    assert_head_error,
    assert_ok,
    canonical,
    content_length,
    descriptor,
    digest_of,
    get_manifest,
    head_manifest,
    header,
    image,
    index,
    list_header,
    path_of,
    push,
    push_blob,
    push_image,
    push_index,
    put_manifest,
    random_bytes,
    with_query,
)

MiB = 1024 * 1024


def _assert_served(client: Any, repo: str, reference: str, manifest: Pushed) -> None:
    """GET returns the exact bytes, its media type without parameters, and its digest."""
    response = get_manifest(client, repo, reference)
    assert_ok(response, 200)
    assert response.body == manifest.body
    assert header(response, "Content-Type") == manifest.media_type
    assert header(response, "Docker-Content-Digest") == manifest.digest


def _padded_manifest(client: Any, repo: str, total: int) -> Pushed:
    """An image manifest of exactly `total` bytes (padded with an annotation); blobs pushed."""
    base = image()
    for blob in base.blobs:
        push_blob(client, repo, blob)
    document = dict(base.document)
    document["annotations"] = {"pad": ""}
    overhead = len(canonical(document))
    document["annotations"] = {"pad": "x" * (total - overhead)}
    body = canonical(document)
    assert len(body) == total
    return Pushed(body, OCI_MANIFEST, [], document)


# --------------------------------------------------------------------------- PUT and GET


def test_put_by_tag_answers_201_location_and_digest(client: Any, repo: str) -> None:
    """PUT a manifest by tag: 201, a pullable Location, Docker-Content-Digest of the bytes.

    Spec: "Upon a successful upload, the registry MUST return response code `201 Created`, and
    MUST have the following header: Location: <location>. The `<location>` is a pullable
    manifest URL. The Docker-Content-Digest header returns the digest of the uploaded blob, and
    MUST be equal to the client provided digest."
    """
    manifest = image()
    response = push(client, repo, manifest, "v1")
    assert header(response, "Docker-Content-Digest") == manifest.digest
    location = header(response, "Location")
    assert location
    pulled = get_manifest(client, repo, path_of(location).rsplit("/", 1)[-1])
    assert_ok(pulled, 200)
    assert client.http.get(path_of(location), headers={"accept": OCI_MANIFEST}).body == (
        manifest.body
    )


def test_get_by_tag_returns_exact_bytes_type_and_digest(client: Any, repo: str) -> None:
    """GET by tag: 200, the bytes pushed, their Content-Type, their digest.

    Spec: "A GET request to an existing manifest URL MUST provide the expected manifest, with a
    response code that MUST be `200 OK`. A successful response MUST contain the digest of the
    uploaded blob in the header `Docker-Content-Digest`." and "The `Content-Type` header SHOULD
    match what the client pushed as the manifest's `Content-Type`."
    """
    manifest = push_image(client, repo, "latest")
    _assert_served(client, repo, "latest", manifest)


def test_get_by_digest_returns_exact_bytes(client: Any, repo: str) -> None:
    """GET by digest gives the same bytes.

    Spec: "`<tag-or-digest>` MUST be either (a) the digest of the manifest or (b) a tag."
    """
    manifest = push_image(client, repo, "latest")
    _assert_served(client, repo, manifest.digest, manifest)


def test_put_by_digest_answers_201(client: Any, repo: str) -> None:
    """PUT by digest: 201 and Docker-Content-Digest equal to the digest in the URL.

    Spec: "the `<tag-or-digest>` MUST be either a) a digest or b) a tag." and "The
    Docker-Content-Digest header [...] MUST be equal to the client provided digest."
    """
    manifest = image()
    response = push(client, repo, manifest)
    assert header(response, "Docker-Content-Digest") == manifest.digest
    _assert_served(client, repo, manifest.digest, manifest)


def test_put_by_wrong_digest_is_digest_invalid(client: Any, repo: str) -> None:
    """PUT by a digest that is not the body's: 400 DIGEST_INVALID, nothing stored.

    Spec: "The Docker-Content-Digest header returns the digest of the uploaded blob, and MUST
    be equal to the client provided digest." -- impossible here, so the push must fail.
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    wrong = digest_of(b"not the manifest")
    response = put_manifest(client, repo, wrong, manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "DIGEST_INVALID")
    assert get_manifest(client, repo, wrong).status_code == 404
    assert get_manifest(client, repo, manifest.digest).status_code == 404


def test_put_by_sha512_digest_round_trips(client: Any, repo: str) -> None:
    """A manifest pushed by its sha512 digest answers that digest and is served by it.

    Spec: "The Docker-Content-Digest header returns the digest of the uploaded blob, and MUST
    be equal to the client provided digest." (issue 2: "Digests: sha256 and sha512.")
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    digest = digest_of(manifest.body, "sha512")
    response = put_manifest(client, repo, digest, manifest.body, OCI_MANIFEST)
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == digest
    pulled = get_manifest(client, repo, digest)
    assert_ok(pulled, 200)
    assert pulled.body == manifest.body
    assert header(pulled, "Docker-Content-Digest") == digest


def test_pull_with_ns_query_parameter_is_served(client: Any, repo: str) -> None:
    """The proxy `ns` parameter is optional and may be ignored: the pull still works.

    Spec: "A `ns` query parameter on pull operations is OPTIONAL [...] A registry MAY choose to
    ignore the `ns` query parameter." and "A registry that uses the `ns` query parameter to
    scope the request SHOULD return the `ns` query parameter value in the `OCI-Namespace`
    header."
    """
    manifest = push_image(client, repo, "v1")
    response = client.http.get(
        f"/v2/{repo}/manifests/v1?ns=registry.example.com", headers={"accept": OCI_MANIFEST}
    )
    assert_ok(response, 200)
    assert response.body == manifest.body
    namespace = header(response, "OCI-Namespace")
    assert namespace in (None, "registry.example.com")


def test_head_by_tag_and_digest_gives_length_and_digest(client: Any, repo: str) -> None:
    """HEAD: 200, Content-Length of the manifest, Docker-Content-Digest, no body.

    Spec: "A HEAD request to an existing blob or manifest URL MUST return `200 OK`. A
    successful response MUST contain the digest of the uploaded blob or manifest in the header
    `Docker-Content-Digest`. A successful response MUST contain the size in bytes of the
    uploaded blob or manifest in the header `Content-Length`."
    """
    manifest = push_image(client, repo, "v1")
    for reference in ["v1", manifest.digest]:
        response = head_manifest(client, repo, reference)
        assert_ok(response, 200)
        assert header(response, "Docker-Content-Digest") == manifest.digest
        assert content_length(response) == manifest.size
        assert response.body == b""


def test_head_carries_the_manifest_content_type(client: Any, repo: str) -> None:
    """HEAD tells the media type (containerd resolves a reference by HEAD and reads it).

    Spec: "The `Content-Type` header SHOULD match what the client pushed as the manifest's
    `Content-Type`." and "A HEAD request to an existing blob or manifest URL MUST return `200
    OK`."
    """
    manifest, _ = push_index(client, repo, "multi")
    response = head_manifest(client, repo, "multi")
    assert_ok(response, 200)
    assert header(response, "Content-Type") == OCI_INDEX
    assert content_length(response) == manifest.size


def test_get_content_type_has_no_parameters(client: Any, repo: str) -> None:
    """The registry strips parameters: what it sends back is the bare media type.

    Spec: "The registry SHOULD NOT include parameters on the `Content-Type` header." and "The
    registry SHOULD ignore parameters on the `Content-Type` header."
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, "v1", manifest.body, f"{OCI_MANIFEST}; charset=utf-8")
    assert_ok(response, 201)
    _assert_served(client, repo, "v1", manifest)


def test_get_unknown_tag_is_404_manifest_unknown(client: Any, repo: str) -> None:
    """GET of a tag the repository does not have: 404 MANIFEST_UNKNOWN.

    Spec: "If the manifest is not found in the repository, the response code MUST be `404 Not
    Found`."
    """
    push_image(client, repo, "v1")
    assert_error(get_manifest(client, repo, "nope"), 404, "MANIFEST_UNKNOWN")


def test_get_unknown_digest_is_404_manifest_unknown(client: Any, repo: str) -> None:
    """GET of a digest the repository does not have: 404 MANIFEST_UNKNOWN.

    Spec: "If the manifest is not found in the repository, the response code MUST be `404 Not
    Found`."
    """
    push_image(client, repo, "v1")
    missing = digest_of(b"no such manifest")
    assert_error(get_manifest(client, repo, missing), 404, "MANIFEST_UNKNOWN")


def test_head_unknown_manifest_is_404_without_body(client: Any, repo: str) -> None:
    """HEAD of a missing manifest: 404, no body.

    Spec: "If the blob or manifest is not found in the repository, the response code MUST be
    `404 Not Found`."
    """
    push_image(client, repo, "v1")
    assert_head_error(head_manifest(client, repo, "nope"), 404)
    assert_head_error(head_manifest(client, repo, digest_of(b"x")), 404)


def test_get_from_nonexistent_repository_is_404(client: Any, repo: str) -> None:
    """Pulling from a repository nobody pushed to: 404.

    Spec: "An attempt to pull a nonexistent repository MUST return response code `404 Not
    Found`."
    """
    response = get_manifest(client, repo, "latest")
    assert_error(response, 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN")


def test_get_manifest_without_accept_header(client: Any, repo: str) -> None:
    """A client that sends no Accept still gets the manifest as pushed.

    Spec: "The client SHOULD include an `Accept` header" (SHOULD, not MUST) and "A GET request
    to an existing manifest URL MUST provide the expected manifest".
    """
    manifest = push_image(client, repo, "v1")
    response = client.http.get(f"/v2/{repo}/manifests/v1")
    assert_ok(response, 200)
    assert response.body == manifest.body


def test_tag_moves_to_newest_push(client: Any, repo: str) -> None:
    """Pushing another manifest to a tag moves the tag; the old one stays by digest.

    Spec: "Tag: a custom, human-readable pointer to a manifest."
    """
    first = push_image(client, repo, "stable")
    second = push_image(client, repo, "stable")
    _assert_served(client, repo, "stable", second)
    _assert_served(client, repo, first.digest, first)


def test_same_manifest_pushed_twice_is_idempotent(client: Any, repo: str) -> None:
    """Re-pushing identical bytes succeeds again with the same digest.

    Spec: "Upon a successful upload, the registry MUST return response code `201 Created`"
    """
    manifest = push_image(client, repo, "v1")
    again = put_manifest(client, repo, "v1", manifest.body, OCI_MANIFEST)
    assert_ok(again, 201)
    assert header(again, "Docker-Content-Digest") == manifest.digest


# --------------------------------------------------------------------------- byte-exact


@pytest.mark.parametrize(
    "style",
    ["pretty", "reordered", "trailing-newline", "crlf-and-tabs", "unicode-escapes", "utf8"],
)
def test_manifest_round_trips_byte_exact(client: Any, repo: str, style: str) -> None:
    """Whitespace, key order, escapes and non-ASCII survive: GET returns what was PUT.

    Spec: "The registry MUST store the manifest in the exact byte representation provided by
    the client."
    """
    base = image(annotations={"note": "caf\u00e9 \u2603"})
    for blob in base.blobs:
        push_blob(client, repo, blob)
    document = base.document
    if style == "pretty":
        body = json.dumps(document, indent=7).encode()
    elif style == "reordered":
        body = json.dumps(dict(reversed(list(document.items()))), indent=1).encode()
    elif style == "trailing-newline":
        body = canonical(document) + b"\n\n"
    elif style == "crlf-and-tabs":
        body = json.dumps(document, indent="\t").replace("\n", "\r\n").encode()
    elif style == "unicode-escapes":
        body = json.dumps(document, ensure_ascii=True).encode()
    else:
        body = json.dumps(document, ensure_ascii=False, separators=(" ,", " : ")).encode()
    manifest = Pushed(body, OCI_MANIFEST)
    response = put_manifest(client, repo, "t", body, OCI_MANIFEST)
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == manifest.digest
    _assert_served(client, repo, "t", manifest)
    _assert_served(client, repo, manifest.digest, manifest)


# --------------------------------------------------------------------------- media types


def test_oci_image_index(client: Any, repo: str) -> None:
    """An OCI image index whose children exist is accepted and served as an index.

    Spec: "Image Index: a manifest containing a list of manifests"; "Upon a successful upload,
    the registry MUST return response code `201 Created`".
    """
    manifest, children = push_index(client, repo, "multi")
    _assert_served(client, repo, "multi", manifest)
    for child in children:
        _assert_served(client, repo, child.digest, child)


def test_docker_schema2_manifest(client: Any, repo: str) -> None:
    """A Docker image manifest v2 schema 2 is accepted and served with its media type.

    Spec: "Examples of manifests are defined under the OCI Image Spec [...] (and legacy
    manifests)." Issue 2: "Docker schema 2 manifest and manifest list".
    """
    manifest = push_image(client, repo, "docker", media_type=DOCKER_MANIFEST)
    _assert_served(client, repo, "docker", manifest)


def test_docker_manifest_list(client: Any, repo: str) -> None:
    """A Docker manifest list over schema 2 manifests is accepted.

    Issue 2: "Manifests: OCI image manifest and index, Docker schema 2 manifest and manifest
    list". Spec: "The `Content-Type` header SHOULD match what the client pushed".
    """
    manifest, _ = push_index(client, repo, "list", media_type=DOCKER_MANIFEST_LIST)
    _assert_served(client, repo, "list", manifest)


def test_artifact_with_artifact_type_and_empty_config(client: Any, repo: str) -> None:
    """An artifact: artifactType plus the empty config descriptor `{}`.

    Image spec: "The media type `application/vnd.oci.empty.v1+json` (`MediaTypeEmptyJSON`) has
    been specified for a descriptor that has no content for the implementation." Issue 2:
    "artifacts (`artifactType`, empty config)".
    """
    manifest = artifact(artifact_type="application/vnd.example.thing.v1")
    assert manifest.document["config"]["digest"] == EMPTY_DIGEST
    assert manifest.blobs[0] == EMPTY_JSON
    push(client, repo, manifest, "art")
    _assert_served(client, repo, "art", manifest)
    served = json.loads(get_manifest(client, repo, "art").body)
    assert served["artifactType"] == "application/vnd.example.thing.v1"
    assert served["config"]["mediaType"] == OCI_EMPTY


def test_artifact_with_no_layers(client: Any, repo: str) -> None:
    """A manifest may list no blobs beyond its config.

    Spec: "The uploaded manifest MUST reference any blobs that make up the object. However,
    the list of blobs MAY be empty."
    """
    manifest = artifact(blobs=0)
    assert manifest.document["layers"] == []
    push(client, repo, manifest, "nolayers")
    _assert_served(client, repo, "nolayers", manifest)


def test_artifact_with_custom_config_media_type(client: Any, repo: str) -> None:
    """An artifact whose config has an artifact-specific media type.

    Image spec: "the `config.mediaType` value MUST be set to a value specific to the artifact
    type or the empty value."
    """
    manifest = artifact(artifact_type=None, config_type="application/vnd.example.config.v1+json")
    push(client, repo, manifest, "cfg")
    _assert_served(client, repo, "cfg", manifest)


@pytest.mark.parametrize("media_type", [DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED])
def test_schema1_is_refused(client: Any, repo: str, media_type: str) -> None:
    """Docker schema 1 is refused with a clear error, and nothing is stored.

    Spec: "The client MAY encounter error codes targeting Docker schema1 manifests" and issue
    2: "schema 1 is refused with a clear error".
    """
    layer = random_bytes(20)
    push_blob(client, repo, layer)
    body = canonical(
        {
            "schemaVersion": 1,
            "name": repo,
            "tag": "old",
            "architecture": "amd64",
            "fsLayers": [{"blobSum": digest_of(layer)}],
            "history": [{"v1Compatibility": "{}"}],
        }
    )
    response = put_manifest(client, repo, "old", body, media_type)
    assert_error(response, (400, 415), "MANIFEST_INVALID", "UNSUPPORTED")
    message = json.loads(response.body)["errors"][0].get("message", "")
    assert message, "a clear error says why"
    assert get_manifest(client, repo, "old").status_code == 404


def test_media_type_field_must_match_content_type(client: Any, repo: str) -> None:
    """A manifest whose `mediaType` disagrees with Content-Type is refused.

    Spec: "If a manifest includes a `mediaType` field, clients MUST set the `Content-Type`
    header to the value specified by the `mediaType` field."
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, "v1", manifest.body, OCI_INDEX)
    assert_error(response, 400, "MANIFEST_INVALID")
    assert get_manifest(client, repo, "v1").status_code == 404


def test_manifest_without_media_type_field_uses_content_type(client: Any, repo: str) -> None:
    """`mediaType` is a SHOULD: a manifest without it is stored under its Content-Type.

    Spec: "All manifests SHOULD include a `mediaType` field declaring the type of the manifest
    being pushed." and "The `Content-Type` header SHOULD match what the client pushed as the
    manifest's `Content-Type`."
    """
    manifest = image(with_media_type_field=False)
    push(client, repo, manifest, "bare")
    _assert_served(client, repo, "bare", manifest)


# --------------------------------------------------------------------------- references


def test_missing_layer_is_manifest_blob_unknown(client: Any, repo: str) -> None:
    """A manifest whose layer was never pushed: 400 MANIFEST_BLOB_UNKNOWN, nothing stored.

    Spec: "A registry MAY reject a manifest uploaded to the manifest endpoint with descriptors
    in other fields that reference a manifest or blob that does not exist in the registry.
    When a manifest is rejected for this reason, it MUST result in one or more
    `MANIFEST_BLOB_UNKNOWN` errors"
    """
    manifest = image(layers=2)
    for blob in manifest.blobs[:-1]:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, "v1", manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")
    assert get_manifest(client, repo, "v1").status_code == 404
    assert get_manifest(client, repo, manifest.digest).status_code == 404


def test_missing_config_is_manifest_blob_unknown(client: Any, repo: str) -> None:
    """A manifest whose config blob was never pushed: 400 MANIFEST_BLOB_UNKNOWN.

    Spec: "When a manifest is rejected for this reason, it MUST result in one or more
    `MANIFEST_BLOB_UNKNOWN` errors"
    """
    manifest = image()
    for blob in manifest.blobs[1:]:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, "v1", manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")


def test_index_with_missing_child_is_refused(client: Any, repo: str) -> None:
    """An index naming a child manifest the repository lacks is refused, nothing stored.

    Spec: "A registry MAY reject a manifest [...] with descriptors in other fields that
    reference a manifest or blob that does not exist in the registry. When a manifest is
    rejected for this reason, it MUST result in one or more `MANIFEST_BLOB_UNKNOWN` errors"
    (issue 2 names MANIFEST_UNKNOWN for a missing child; the spec's MUST is
    MANIFEST_BLOB_UNKNOWN, so the body must carry it).
    """
    present = push_image(client, repo)
    absent = image()
    manifest = index([present, absent])
    response = put_manifest(client, repo, "multi", manifest.body, OCI_INDEX)
    codes = assert_error(response, (400, 404), "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN")
    assert "MANIFEST_BLOB_UNKNOWN" in codes, codes
    assert get_manifest(client, repo, "multi").status_code == 404


def test_index_child_as_blob_only_is_refused(client: Any, repo: str) -> None:
    """A child that exists only as a blob (not a manifest) does not satisfy an index.

    Spec: "Image Index: a manifest containing a list of manifests".
    """
    child = image()
    for blob in child.blobs:
        push_blob(client, repo, blob)
    push_blob(client, repo, child.body)
    manifest = index([child])
    response = put_manifest(client, repo, "multi", manifest.body, OCI_INDEX)
    assert_error(response, (400, 404), "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN")


def test_subject_that_does_not_exist_is_accepted(client: Any, repo: str) -> None:
    """A referrer may be pushed before its subject.

    Spec: "A registry MUST initially accept an otherwise valid manifest with a `subject` field
    that references a manifest that does not exist in the repository, allowing clients to push
    a manifest and referrers to that manifest in either order."
    """
    subject = image()
    manifest = artifact(subject=subject)
    response = push(client, repo, manifest)
    assert header(response, "OCI-Subject") == subject.digest


def test_subject_answers_oci_subject(client: Any, repo: str) -> None:
    """A manifest with `subject`: the 201 carries OCI-Subject with the subject's digest.

    Spec: "When processing a request for an image manifest with the `subject` field, a
    registry implementation that supports the referrers API MUST respond with the response
    header `OCI-Subject: <subject digest>`"
    """
    subject = push_image(client, repo, "v1")
    response = push(client, repo, artifact(subject=subject), "sig")
    assert header(response, "OCI-Subject") == subject.digest


def test_no_subject_no_oci_subject_header(client: Any, repo: str) -> None:
    """Without `subject`, no OCI-Subject header.

    Spec: "MUST respond with the response header `OCI-Subject: <subject digest>` to indicate to
    the client that the registry processed the request's `subject`." (none to process here)
    """
    response = push(client, repo, image(), "v1")
    assert header(response, "OCI-Subject") is None


# --------------------------------------------------------------------------- ?tag=


def test_put_by_digest_with_tags_answers_oci_tag(client: Any, repo: str) -> None:
    """PUT by digest with ?tag= repeated: OCI-Tag lists every tag, and each tag resolves.

    Spec: "MUST include an `OCI-Tag` response header, in accordance with RFC 9110 (section 5)
    semantics, for each accepted tag."
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    tags = ["1.2.3", "1.2", "1", "latest"]
    response = put_manifest(
        client, repo, manifest.digest, manifest.body, OCI_MANIFEST, {"tag": tags}
    )
    assert_ok(response, 201)
    assert sorted(list_header(response, "OCI-Tag")) == sorted(tags)
    for tag in tags:
        _assert_served(client, repo, tag, manifest)


def test_put_by_digest_with_ten_tags(client: Any, repo: str) -> None:
    """At least 10 tags in one request.

    Spec: "SHOULD support pushing at least 10 tags per request."
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    tags = [f"t{i}" for i in range(10)]
    response = put_manifest(
        client, repo, manifest.digest, manifest.body, OCI_MANIFEST, {"tag": tags}
    )
    assert_ok(response, 201)
    assert sorted(list_header(response, "OCI-Tag")) == sorted(tags)
    listed = json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"]
    assert sorted(listed) == sorted(tags)


def test_put_by_digest_with_invalid_tag_is_refused(client: Any, repo: str) -> None:
    """A `tag` parameter off the tag grammar is refused, and no tag is created.

    Spec: "`<tag-or-digest>` as a tag MUST be at most 128 characters in length and MUST match
    the following regular expression: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`"
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(
        client, repo, manifest.digest, manifest.body, OCI_MANIFEST, {"tag": ["ok", ".bad"]}
    )
    assert_error(response, 400)
    assert get_manifest(client, repo, "ok").status_code == 404


def test_put_by_digest_without_tags_has_no_oci_tag(client: Any, repo: str) -> None:
    """No `tag` parameter: no OCI-Tag header, and no tag appears.

    Spec: "MUST include an `OCI-Tag` response header [...] for each accepted tag."
    """
    response = push(client, repo, image())
    assert header(response, "OCI-Tag") is None
    assert json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"] in ([], None)


# --------------------------------------------------------------------------- sizes


def test_manifest_just_over_dynamodb_item_limit_round_trips(client: Any, repo: str) -> None:
    """A 450 KB manifest (over DynamoDB's 400 KB item) is stored and served byte-exact.

    Spec: "Client and registry implementations SHOULD expect to be able to support manifest
    pushes of at least 4 megabytes." design.md: "a large manifest must live in S3".
    """
    manifest = _padded_manifest(client, repo, 450 * 1000)
    assert_ok(put_manifest(client, repo, "big", manifest.body, OCI_MANIFEST), 201)
    _assert_served(client, repo, "big", manifest)
    _assert_served(client, repo, manifest.digest, manifest)
    head = head_manifest(client, repo, "big")
    assert_ok(head, 200)
    assert content_length(head) == manifest.size


def test_manifest_of_4_mib_is_accepted(client: Any, repo: str) -> None:
    """A manifest of exactly 4 MiB is accepted and served byte-exact.

    Spec: "Client and registry implementations SHOULD expect to be able to support manifest
    pushes of at least 4 megabytes."
    """
    manifest = _padded_manifest(client, repo, 4 * MiB)
    response = put_manifest(client, repo, "huge", manifest.body, OCI_MANIFEST)
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == manifest.digest
    _assert_served(client, repo, "huge", manifest)


def test_manifest_over_4_mib_is_413(client: Any, repo: str) -> None:
    """A manifest over the limit: 413, nothing stored.

    Spec: "A registry that enforces this limit SHOULD respond to a request to push a manifest
    over this limit with a response code `413 Payload Too Large`."
    """
    manifest = _padded_manifest(client, repo, 4 * MiB + 1)
    response = put_manifest(client, repo, "toobig", manifest.body, OCI_MANIFEST)
    assert_error(response, 413)
    assert get_manifest(client, repo, "toobig").status_code == 404


def test_manifest_with_more_than_100_blobs(client: Any, repo: str) -> None:
    """An image of 1 config + 100 layers: the 101st blob is checked (missing: refused), and
    once pushed the manifest is accepted.

    Spec: "When a manifest is rejected for this reason, it MUST result in one or more
    `MANIFEST_BLOB_UNKNOWN` errors" and "Upon a successful upload, the registry MUST return
    response code `201 Created`". (100 is DynamoDB's BatchGetItem limit: the existence check
    must not stop there.)
    """
    manifest = image(layers=100)
    for blob in manifest.blobs[:-1]:
        response = client.http.post(
            with_query(f"/v2/{repo}/blobs/uploads/", {"digest": digest_of(blob)}),
            headers={"content-type": OCTET, "content-length": str(len(blob))},
            body=blob,
        )
        assert_ok(response, 201)
    response = put_manifest(client, repo, "tall", manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")
    push_blob(client, repo, manifest.blobs[-1])
    assert_ok(put_manifest(client, repo, "tall", manifest.body, OCI_MANIFEST), 201)
    _assert_served(client, repo, "tall", manifest)


# --------------------------------------------------------------------------- DELETE


def test_delete_by_tag_answers_202_and_tag_is_gone(client: Any, repo: str) -> None:
    """DELETE by tag: 202; GET of the tag is 404; the manifest stays by digest.

    Spec: "Upon success, the registry MUST respond with a `202 Accepted` code." and "Once
    deleted, a `GET` to `/v2/<name>/manifests/<tag>` will return a 404."
    """
    manifest = push_image(client, repo, "gone")
    response = client.http.delete(f"/v2/{repo}/manifests/gone")
    assert_ok(response, 202)
    assert_error(get_manifest(client, repo, "gone"), 404, "MANIFEST_UNKNOWN")
    _assert_served(client, repo, manifest.digest, manifest)
    listed = json.loads(client.http.get(f"/v2/{repo}/tags/list").body).get("tags") or []
    assert "gone" not in listed


def test_delete_one_tag_keeps_other_tags_of_same_manifest(client: Any, repo: str) -> None:
    """Deleting one tag leaves the other tags on the same manifest.

    Spec: "`<tag>` is the name of the tag to be deleted."
    """
    manifest = push_image(client, repo, "one")
    assert_ok(put_manifest(client, repo, "two", manifest.body, OCI_MANIFEST), 201)
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/one"), 202)
    assert get_manifest(client, repo, "one").status_code == 404
    _assert_served(client, repo, "two", manifest)
    listed = json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"]
    assert listed == ["two"]


def test_delete_by_digest_answers_202_and_tags_are_gone(client: Any, repo: str) -> None:
    """DELETE by digest: 202; the digest and every tag pointing at it give 404.

    Spec: "Once deleted, a `GET` to `/v2/<name>/manifests/<digest>` and any tag pointing to
    that digest will return a 404."
    """
    manifest = push_image(client, repo, "a")
    assert_ok(put_manifest(client, repo, "b", manifest.body, OCI_MANIFEST), 201)
    other = push_image(client, repo, "c")
    response = client.http.delete(f"/v2/{repo}/manifests/{manifest.digest}")
    assert_ok(response, 202)
    for reference in [manifest.digest, "a", "b"]:
        assert_error(get_manifest(client, repo, reference), 404, "MANIFEST_UNKNOWN")
        assert_head_error(head_manifest(client, repo, reference), 404)
    _assert_served(client, repo, "c", other)


def test_delete_unknown_manifest_is_404(client: Any, repo: str) -> None:
    """DELETE of a manifest or tag that does not exist: 404 MANIFEST_UNKNOWN.

    Spec: end-9 "`DELETE` `/v2/<name>/manifests/<tag-or-digest>` ... Failure
    `404`/`400`/`405`"
    """
    push_image(client, repo, "v1")
    assert_error(
        client.http.delete(f"/v2/{repo}/manifests/{digest_of(b'nope')}"), 404, "MANIFEST_UNKNOWN"
    )
    assert_error(client.http.delete(f"/v2/{repo}/manifests/nope"), 404, "MANIFEST_UNKNOWN")


def test_delete_in_nonexistent_repository_is_404(client: Any, repo: str) -> None:
    """DELETE in a repository that does not exist: 404.

    Spec: "If the repository does not exist, the response MUST return `404 Not Found`."
    """
    response = client.http.delete(f"/v2/{repo}/manifests/{digest_of(b'nope')}")
    assert_error(response, 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN")


def test_manifest_pushed_again_after_delete(client: Any, repo: str) -> None:
    """A deleted manifest can be pushed again and is served.

    Spec: "Upon a successful upload, the registry MUST return response code `201 Created`"
    """
    manifest = push_image(client, repo, "v1")
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{manifest.digest}"), 202)
    assert_ok(put_manifest(client, repo, "v1", manifest.body, OCI_MANIFEST), 201)
    _assert_served(client, repo, "v1", manifest)


# --------------------------------------------------------------------------- tags in the path


@pytest.mark.parametrize(
    "tag",
    ["a", "A_1", "_leading-underscore", "x" * 128, "1.2.3-rc.1", "UPPER.lower-123_"],
)
def test_valid_tags_are_accepted(client: Any, repo: str, tag: str) -> None:
    """Every tag on the grammar, up to 128 characters, is accepted.

    Spec: "`<tag-or-digest>` as a tag MUST be at most 128 characters in length and MUST match
    the following regular expression: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`"
    """
    manifest = push_image(client, repo, tag)
    _assert_served(client, repo, tag, manifest)


@pytest.mark.parametrize("tag", [".dot", "-dash", "x" * 129, "a+b", "a%20b", "a:b"])
def test_invalid_tags_are_refused(client: Any, repo: str, tag: str) -> None:
    """A tag off the grammar (or over 128 characters) is refused on PUT.

    Spec: "`<tag-or-digest>` as a tag MUST be at most 128 characters in length and MUST match
    the following regular expression: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`" and "The
    `<tag-or-digest>` MUST NOT be in any other format."
    """
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, tag, manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_INVALID", "NAME_INVALID", "DIGEST_INVALID")


def test_descriptor_size_mismatch_is_not_a_500(client: Any, repo: str) -> None:
    """A descriptor whose size is not the blob's size is refused (or tolerated), never a 500.

    Image spec (descriptor.md): "This property specifies the size, in bytes, of the raw
    content." design.md: "Bad input never yields a 500".
    """
    config = random_bytes(30)
    layer = random_bytes(40)
    push_blob(client, repo, config)
    push_blob(client, repo, layer)
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [{**descriptor("application/vnd.oci.image.layer.v1.tar", layer), "size": 41}],
    }
    response = put_manifest(client, repo, "v1", canonical(document), OCI_MANIFEST)
    assert response.status_code in (201, 400), response.body[:300]
    if response.status_code == 400:
        assert_error(response, 400, "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "SIZE_INVALID")


@pytest.mark.parametrize(
    "suffix", ["a/b/c/d/e/f/g/h/i/j", "x.y-z__w/v---u/t_s", "0/1/2", "manifests/tags/blobs"]
)
def test_nested_repository_names_work_on_every_endpoint(
    client: Any, repo: str, suffix: str
) -> None:
    """Names with many components and separators push, pull, list and delete like any other.

    Spec: "`<name>` MUST match the following regular expression:
    `[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*`"
    """
    name = f"{repo}/{suffix}"
    manifest = push_image(client, name, "v1")
    _assert_served(client, name, "v1", manifest)
    _assert_served(client, name, manifest.digest, manifest)
    tags = client.http.get(f"/v2/{name}/tags/list")
    assert_ok(tags, 200)
    assert json.loads(tags.body) == {"name": name, "tags": ["v1"]}
    referrers = client.http.get(f"/v2/{name}/referrers/{manifest.digest}")
    assert_ok(referrers, 200)
    assert_ok(client.http.delete(f"/v2/{name}/manifests/v1"), 202)
    assert get_manifest(client, name, "v1").status_code == 404
