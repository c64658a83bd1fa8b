"""Referrers (end-12a, end-12b): an image index of the manifests whose `subject` is a digest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Pushed,
    artifact,
    assert_error,
    assert_ok,
    canonical,
    digest_of,
    header,
    image,
    index,
    list_header,
    next_link,
    push,
    push_blob,
    push_image,
    put_manifest,
    random_bytes,
    with_query,
)

SBOM = "application/vnd.example.sbom.v1"
SIGNATURE = "application/vnd.example.signature.v1"


def _referrers(
    client: Any, repo: str, digest: str, artifact_type: str | None = None
) -> tuple[Any, dict[str, Any]]:
    path = f"/v2/{repo}/referrers/{digest}"
    if artifact_type is not None:
        path = with_query(path, {"artifactType": artifact_type})
    response = client.http.get(path)
    assert_ok(response, 200)
    return response, json.loads(response.body)


def _by_digest(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["digest"]: d for d in body["manifests"]}


def test_referrers_is_an_image_index_with_its_content_type(client: Any, repo: str) -> None:
    """The response is an OCI image index, Content-Type application/vnd.oci.image.index.v1+json.

    Spec: "Upon success, the response MUST be a JSON body with an image index containing a
    list of descriptors. The `Content-Type` header MUST be set to
    `application/vnd.oci.image.index.v1+json`."
    """
    subject = push_image(client, repo, "v1")
    push(client, repo, artifact(subject=subject))
    response, body = _referrers(client, repo, subject.digest)
    assert header(response, "Content-Type") == OCI_INDEX
    assert body["schemaVersion"] == 2
    assert body["mediaType"] == OCI_INDEX
    assert isinstance(body["manifests"], list)


def test_referrers_lists_each_referrer_descriptor(client: Any, repo: str) -> None:
    """Each referrer appears once with its mediaType, digest, size, artifactType, annotations.

    Spec: "Each descriptor is of an image manifest or index in the same `<name>` namespace with
    a `subject` field that specifies the value of `<digest>`. The descriptors MUST include an
    `artifactType` field that is set to the value of the `artifactType` in the image manifest
    or index, if present. [...] The descriptors MUST include annotations from the image
    manifest or index."
    """
    subject = push_image(client, repo, "v1")
    sbom = artifact(
        artifact_type=SBOM,
        subject=subject,
        annotations={"org.opencontainers.image.created": "2022-01-01T14:42:55Z", "x": "1"},
    )
    signature = artifact(artifact_type=SIGNATURE, subject=subject, annotations={"fp": "abcd"})
    push(client, repo, sbom)
    push(client, repo, signature, "sig")
    _, body = _referrers(client, repo, subject.digest)
    found = _by_digest(body)
    assert set(found) == {sbom.digest, signature.digest}
    assert len(body["manifests"]) == 2
    for manifest, artifact_type in [(sbom, SBOM), (signature, SIGNATURE)]:
        entry = found[manifest.digest]
        assert entry["mediaType"] == OCI_MANIFEST
        assert entry["size"] == manifest.size
        assert entry["artifactType"] == artifact_type
        assert entry["annotations"] == manifest.document["annotations"]


def test_referrers_artifact_type_falls_back_to_config_media_type(client: Any, repo: str) -> None:
    """An image manifest without artifactType is listed with its config's mediaType.

    Spec: "If the `artifactType` is empty or missing in the image manifest, the value of
    `artifactType` MUST be set to the config descriptor `mediaType` value."
    """
    subject = push_image(client, repo, "v1")
    plain = image(subject=subject)
    custom = artifact(
        artifact_type=None, subject=subject, config_type="application/vnd.example.cfg+json"
    )
    push(client, repo, plain)
    push(client, repo, custom)
    _, body = _referrers(client, repo, subject.digest)
    found = _by_digest(body)
    assert found[plain.digest]["artifactType"] == OCI_CONFIG
    assert found[custom.digest]["artifactType"] == "application/vnd.example.cfg+json"


def test_referrers_empty_artifact_type_falls_back_to_config(client: Any, repo: str) -> None:
    """An empty-string artifactType is refused as invalid, or counts as missing when listed.

    Spec: "If the `artifactType` is empty or missing in the image manifest, the value of
    `artifactType` MUST be set to the config descriptor `mediaType` value." (The image spec
    asks a defined artifactType to be an RFC 6838 media type, so refusing it is fair too.)
    """
    subject = push_image(client, repo, "v1")
    manifest = artifact(
        artifact_type="", subject=subject, config_type="application/vnd.example.cfg+json"
    )
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, manifest.digest, manifest.body, OCI_MANIFEST)
    if response.status_code == 400:
        assert_error(response, 400, "MANIFEST_INVALID")
        return
    assert_ok(response, 201)
    _, body = _referrers(client, repo, subject.digest)
    assert _by_digest(body)[manifest.digest]["artifactType"] == "application/vnd.example.cfg+json"


def test_referrers_index_without_artifact_type_omits_it(client: Any, repo: str) -> None:
    """An index referrer: listed as an index; artifactType omitted when it has none.

    Spec: "If the `artifactType` is empty or missing in an index, the `artifactType` MUST be
    omitted."
    """
    subject = push_image(client, repo, "v1")
    child = push_image(client, repo)
    referrer = index([child], subject=subject, annotations={"kind": "bundle"})
    response = push(client, repo, referrer)
    assert header(response, "OCI-Subject") == subject.digest
    _, body = _referrers(client, repo, subject.digest)
    entry = _by_digest(body)[referrer.digest]
    assert entry["mediaType"] == OCI_INDEX
    assert entry["size"] == referrer.size
    assert "artifactType" not in entry
    assert entry["annotations"] == {"kind": "bundle"}


def test_referrers_index_with_artifact_type_keeps_it(client: Any, repo: str) -> None:
    """An index referrer with artifactType is listed with it.

    Spec: "The descriptors MUST include an `artifactType` field that is set to the value of the
    `artifactType` in the image manifest or index, if present."
    """
    subject = push_image(client, repo, "v1")
    child = push_image(client, repo)
    referrer = index([child], subject=subject, artifact_type="application/vnd.example.bundle")
    push(client, repo, referrer)
    _, body = _referrers(client, repo, subject.digest)
    assert _by_digest(body)[referrer.digest]["artifactType"] == "application/vnd.example.bundle"


def test_referrers_without_annotations_has_no_stray_annotations(client: Any, repo: str) -> None:
    """A referrer without annotations is listed without (or with empty) annotations.

    Spec: "The descriptors MUST include annotations from the image manifest or index."
    """
    subject = push_image(client, repo, "v1")
    manifest = artifact(subject=subject)
    push(client, repo, manifest)
    _, body = _referrers(client, repo, subject.digest)
    assert _by_digest(body)[manifest.digest].get("annotations") in (None, {})


def test_referrers_filter_by_artifact_type(client: Any, repo: str) -> None:
    """?artifactType= keeps only matching referrers and says so in OCI-Filters-Applied.

    Spec: "The registry SHOULD support filtering on `artifactType`." and "If filtering is
    requested and applied, the response MUST include a header `OCI-Filters-Applied:
    artifactType` denoting that an `artifactType` filter was applied."
    """
    subject = push_image(client, repo, "v1")
    sbom = artifact(artifact_type=SBOM, subject=subject)
    signature = artifact(artifact_type=SIGNATURE, subject=subject)
    push(client, repo, sbom)
    push(client, repo, signature)
    response, body = _referrers(client, repo, subject.digest, SBOM)
    assert list_header(response, "OCI-Filters-Applied") == ["artifactType"]
    assert [d["digest"] for d in body["manifests"]] == [sbom.digest]
    assert body["manifests"][0]["artifactType"] == SBOM


def test_referrers_filter_with_plus_and_dots_in_artifact_type(client: Any, repo: str) -> None:
    """A filter value with `+`, `.` and `/` (percent-encoded in the query) matches exactly.

    Spec: "To fetch the list of referrers with a filter, perform a `GET` request to a path in
    the following format: `/v2/<name>/referrers/<digest>?artifactType=<artifactType>`"
    """
    subject = push_image(client, repo, "v1")
    wanted = artifact(artifact_type="application/vnd.cncf.notary.signature+jws", subject=subject)
    other = artifact(artifact_type="application/vnd.cncf.notary.signature jws", subject=subject)
    push(client, repo, wanted)
    push(client, repo, other)
    response, body = _referrers(
        client, repo, subject.digest, "application/vnd.cncf.notary.signature+jws"
    )
    assert [d["digest"] for d in body["manifests"]] == [wanted.digest]
    assert list_header(response, "OCI-Filters-Applied") == ["artifactType"]


def test_referrers_filter_matches_fallback_artifact_type(client: Any, repo: str) -> None:
    """The filter applies to the listed artifactType, including the config fallback.

    Spec: "If the `artifactType` is empty or missing in the image manifest, the value of
    `artifactType` MUST be set to the config descriptor `mediaType` value."
    """
    subject = push_image(client, repo, "v1")
    plain = image(subject=subject)
    push(client, repo, plain)
    push(client, repo, artifact(artifact_type=SBOM, subject=subject))
    _, body = _referrers(client, repo, subject.digest, OCI_CONFIG)
    assert [d["digest"] for d in body["manifests"]] == [plain.digest]


def test_referrers_filter_without_match_is_empty_with_header(client: Any, repo: str) -> None:
    """A filter that matches nothing: 200, empty manifests, header still set.

    Spec: "If a query results in no matching referrers, an empty manifest list MUST be
    returned." and "If filtering is requested and applied, the response MUST include a header
    `OCI-Filters-Applied: artifactType`"
    """
    subject = push_image(client, repo, "v1")
    push(client, repo, artifact(artifact_type=SBOM, subject=subject))
    response, body = _referrers(client, repo, subject.digest, "application/vnd.none")
    assert body["manifests"] == []
    assert list_header(response, "OCI-Filters-Applied") == ["artifactType"]


def test_referrers_without_filter_has_no_filters_applied(client: Any, repo: str) -> None:
    """No filter requested: no OCI-Filters-Applied header.

    Spec: "If filtering is requested and applied, the response MUST include a header
    `OCI-Filters-Applied: artifactType`" (and only then).
    """
    subject = push_image(client, repo, "v1")
    push(client, repo, artifact(subject=subject))
    response, _ = _referrers(client, repo, subject.digest)
    assert header(response, "OCI-Filters-Applied") is None


def test_referrers_for_unknown_subject_is_200_empty(client: Any, repo: str) -> None:
    """A subject with no referrers (or unknown): 200 and an empty list, never 404.

    Spec: "If the registry supports the referrers API, the registry MUST NOT return a `404 Not
    Found` to a referrers API requests." and "If a query results in no matching referrers, an
    empty manifest list MUST be returned."
    """
    push_blob(client, repo, random_bytes(8))
    response, body = _referrers(client, repo, digest_of(b"nobody refers to this"))
    assert body["manifests"] == []
    assert header(response, "Content-Type") == OCI_INDEX
    assert body["schemaVersion"] == 2


def test_referrers_in_unknown_repository_is_not_404(client: Any, repo: str) -> None:
    """Even for a repository that does not exist, the referrers API never answers 404.

    Spec: "If the registry supports the referrers API, the registry MUST NOT return a `404 Not
    Found` to a referrers API requests." (A 404 makes clients fall back to the tag schema.)
    """
    response = client.http.get(f"/v2/{repo}/referrers/{digest_of(b'x')}")
    assert response.status_code != 404
    assert_ok(response, 200)
    assert json.loads(response.body)["manifests"] == []


@pytest.mark.parametrize(
    "bad", ["sha256:abc", "sha256:" + "Z" * 64, "notadigest", "md5:" + "0" * 32, "latest"]
)
def test_referrers_with_bad_digest_is_400(client: Any, repo: str, bad: str) -> None:
    """A digest with invalid syntax: 400.

    Spec: "If the request is invalid, such as a `<digest>` with an invalid syntax, a `400 Bad
    Request` MUST be returned."
    """
    push_blob(client, repo, random_bytes(8))
    assert_error(client.http.get(f"/v2/{repo}/referrers/{bad}"), 400)


@pytest.mark.parametrize("path", ["referrers", "referrers/"])
def test_referrers_without_a_digest_is_400_not_404(client: Any, repo: str, path: str) -> None:
    """No digest at all is the most invalid digest there is.

    Spec: "Upon success, the response MUST be a JSON body with an image index containing a list
    of descriptors. ... The registry MUST NOT return a 404" and "If the request is invalid,
    such as a `<digest>` with an invalid syntax, a `400 Bad Request` MUST be returned."
    """
    assert_error(client.http.get(f"/v2/{repo}/{path}"), 400)


def test_referrer_pushed_before_subject_is_listed(client: Any, repo: str) -> None:
    """A referrer pushed before its subject is listed once the subject is asked for.

    Spec: "A registry MUST initially accept an otherwise valid manifest with a `subject` field
    that references a manifest that does not exist in the repository, allowing clients to push
    a manifest and referrers to that manifest in either order." and "Registries MUST include
    all newly pushed image manifests with a valid `subject` field in the referrers API
    response."
    """
    subject = image()
    referrer = artifact(subject=subject)
    push(client, repo, referrer)
    _, body = _referrers(client, repo, subject.digest)
    assert [d["digest"] for d in body["manifests"]] == [referrer.digest]
    push(client, repo, subject, "v1")
    _, body = _referrers(client, repo, subject.digest)
    assert [d["digest"] for d in body["manifests"]] == [referrer.digest]


def test_referrers_are_scoped_to_the_repository(client: Any, repo: str) -> None:
    """A referrer pushed to another repository is not listed here.

    Spec: "Each descriptor is of an image manifest or index in the same `<name>` namespace
    with a `subject` field that specifies the value of `<digest>`."
    """
    subject = push_image(client, repo, "v1")
    other = f"{repo}-other"
    push(client, other, subject, "v1")
    push(client, other, artifact(subject=subject))
    _, body = _referrers(client, repo, subject.digest)
    assert body["manifests"] == []


def test_deleted_referrer_is_no_longer_listed(client: Any, repo: str) -> None:
    """Deleting a referrer manifest removes it from the referrers list.

    Spec: "Each descriptor is of an image manifest or index in the same `<name>` namespace
    with a `subject` field" -- a deleted manifest is in no namespace.
    """
    subject = push_image(client, repo, "v1")
    keep = artifact(subject=subject)
    drop = artifact(subject=subject)
    push(client, repo, keep)
    push(client, repo, drop)
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{drop.digest}"), 202)
    _, body = _referrers(client, repo, subject.digest)
    assert [d["digest"] for d in body["manifests"]] == [keep.digest]


def test_referrer_pushed_twice_is_listed_once(client: Any, repo: str) -> None:
    """The same referrer pushed by digest and then by a tag is one descriptor, listed once.

    Spec: "Each descriptor is of an image manifest or index in the same `<name>` namespace with
    a `subject` field that specifies the value of `<digest>`." (and "duplicate entries SHOULD
    NOT be created")
    """
    subject = push_image(client, repo, "v1")
    manifest = artifact(subject=subject)
    push(client, repo, manifest)
    assert_ok(put_manifest(client, repo, "sig", manifest.body, OCI_MANIFEST), 201)
    _, body = _referrers(client, repo, subject.digest)
    assert [d["digest"] for d in body["manifests"]] == [manifest.digest]


def test_referrers_survive_deleting_the_subject(client: Any, repo: str) -> None:
    """Deleting the subject does not delete its referrers: they are still listed.

    Spec: "A registry MUST initially accept an otherwise valid manifest with a `subject` field
    that references a manifest that does not exist in the repository" -- a referrer's listing
    does not depend on the subject existing -- and "Registries MUST include all newly pushed
    image manifests with a valid `subject` field in the referrers API response."
    """
    subject = push_image(client, repo, "v1")
    manifest = artifact(subject=subject)
    push(client, repo, manifest)
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{subject.digest}"), 202)
    _, body = _referrers(client, repo, subject.digest)
    assert [d["digest"] for d in body["manifests"]] == [manifest.digest]


def test_referrer_listed_in_a_referrers_tag_index_is_listed(client: Any, repo: str) -> None:
    """A referrer a fallback client also recorded under the referrers tag is listed, once.

    Spec ("Enabling the Referrers API"): "Registries MUST include preexisting image manifests
    that are listed in an image index tagged with the referrers tag schema and have a valid
    `subject` field in the referrers API response." The tag schema for a sha256 digest is
    `sha256-<hex>` ("Referrers Tag Schema"); the index under it has no subject of its own.
    """
    subject = push_image(client, repo, "v1")
    referrer = artifact(artifact_type=SBOM, subject=subject, annotations={"k": "v"})
    push(client, repo, referrer)
    tag_index = canonical(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [referrer.descriptor(artifactType=SBOM, annotations={"k": "v"})],
        }
    )
    tag = subject.digest.replace(":", "-")
    assert_ok(put_manifest(client, repo, tag, tag_index, OCI_INDEX), 201)
    _, body = _referrers(client, repo, subject.digest)
    assert [d["digest"] for d in body["manifests"]] == [referrer.digest]
    entry = body["manifests"][0]
    assert entry["artifactType"] == SBOM
    assert entry["annotations"] == {"k": "v"}
    assert entry["size"] == referrer.size


def test_referrers_of_sha512_subject(client: Any, repo: str) -> None:
    """A subject named by a sha512 digest has its referrers listed under that digest.

    Spec: "`<digest>` is the digest of the manifest specified in the `subject` field."
    """
    subject = image()
    for blob in subject.blobs:
        push_blob(client, repo, blob)
    subject_digest = digest_of(subject.body, "sha512")
    assert_ok(put_manifest(client, repo, subject_digest, subject.body, OCI_MANIFEST), 201)
    base = artifact()
    document = dict(base.document)
    document["subject"] = {
        "mediaType": OCI_MANIFEST,
        "digest": subject_digest,
        "size": subject.size,
    }
    manifest = Pushed(canonical(document), OCI_MANIFEST, base.blobs, document)
    response = push(client, repo, manifest)
    assert header(response, "OCI-Subject") == subject_digest
    _, body = _referrers(client, repo, subject_digest)
    assert [d["digest"] for d in body["manifests"]] == [manifest.digest]


def test_referrers_paginate_with_link_when_many(client: Any, repo: str) -> None:
    """Referrers whose descriptors cannot fit one response are paged with Link rel="next".

    Spec: "A `Link` header MUST be included in the response when the descriptor list cannot be
    returned in a single manifest. Each response is an image index with different descriptors
    in the `manifests` field. The `Link` header MUST be set according to RFC 5988 with the
    Relation Type `rel="next"`." Here 18 referrers carry 256 KiB annotations each: 4.5 MiB of
    descriptors, more than one manifest can hold (the 4 MiB manifest limit).
    """
    subject = push_image(client, repo, "v1")
    pushed: list[Pushed] = []
    for i in range(18):
        manifest = artifact(
            subject=subject, blobs=0, annotations={"n": str(i), "pad": "p" * (256 * 1024)}
        )
        # The empty config blob is shared: push it once, then only manifests.
        push(client, repo, manifest) if i == 0 else _put_only(client, repo, manifest)
        pushed.append(manifest)
    seen: list[str] = []
    path: str | None = f"/v2/{repo}/referrers/{subject.digest}"
    pages = 0
    while path is not None:
        pages += 1
        assert pages <= 18, "pagination does not end"
        response = client.http.get(path)
        assert_ok(response, 200)
        assert header(response, "Content-Type") == OCI_INDEX
        assert len(response.body) <= 4 * 1024 * 1024
        body = json.loads(response.body)
        assert body["mediaType"] == OCI_INDEX
        for entry in body["manifests"]:
            assert entry["annotations"]["pad"] == "p" * (256 * 1024)
        seen.extend(d["digest"] for d in body["manifests"])
        path = next_link(response)
        if path is not None:
            assert 'rel="next"' in (header(response, "Link") or "")
    assert pages >= 2
    assert sorted(seen) == sorted(m.digest for m in pushed)


def test_referrer_with_annotations_over_400_kb(client: Any, repo: str) -> None:
    """A referrer whose annotations exceed DynamoDB's 400 KB item is accepted and listed whole.

    Spec: "The descriptors MUST include annotations from the image manifest or index." and
    "Client and registry implementations SHOULD expect to be able to support manifest pushes of
    at least 4 megabytes."
    """
    subject = push_image(client, repo, "v1")
    annotations = {"org.example.big": "b" * (450 * 1024), "small": "s"}
    manifest = artifact(subject=subject, annotations=annotations)
    response = push(client, repo, manifest)
    assert header(response, "OCI-Subject") == subject.digest
    _, body = _referrers(client, repo, subject.digest)
    entry = _by_digest(body)[manifest.digest]
    assert entry["annotations"] == annotations
    assert entry["size"] == manifest.size


def _put_only(client: Any, repo: str, manifest: Pushed) -> None:
    assert_ok(put_manifest(client, repo, manifest.digest, manifest.body, OCI_MANIFEST), 201)
