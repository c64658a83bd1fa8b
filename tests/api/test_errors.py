"""Error bodies: every failure is `{"errors": [{"code", "message", ...}]}` with the spec's
status; bad names, references, digests, ranges, JSON, media types and sizes never give a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.helpers import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    OCTET,
    assert_error,
    assert_head_error,
    assert_ok,
    canonical,
    descriptor,
    error_codes,
    header,
    header_values,
    image,
    patch_upload,
    push_blob,
    put_manifest,
    random_bytes,
    start_upload,
)

GOOD_DIGEST = "sha256:" + "a" * 64


# --------------------------------------------------------------------------- shape


def test_error_body_shape_and_json_content_type(client: Any, repo: str) -> None:
    """A 404 has the spec's JSON error body, served as JSON.

    Spec: "If the response body is in JSON format, it MUST have the following format: {"errors":
    [{"code": "<error identifier, see below>", "message": "<message describing condition>",
    "detail": "<unstructured>"}, ...]}" and "The `code` field MUST be a unique identifier,
    containing only uppercase alphabetic characters and underscores."
    """
    push_blob(client, repo, random_bytes(8))
    response = client.http.get(f"/v2/{repo}/manifests/nope")
    assert_error(response, 404, "MANIFEST_UNKNOWN")
    assert (header(response, "Content-Type") or "").startswith("application/json")
    error = json.loads(response.body)["errors"][0]
    assert set(error) <= {"code", "message", "detail"}
    assert isinstance(error.get("message", ""), str)


def test_unknown_endpoint_is_404_with_error_body(client: Any) -> None:
    """A path that names no endpoint: 404 with an OCI error body.

    Spec: "A `4XX` response code from the registry MAY return a body in any format. If the
    response body is in JSON format, it MUST have the following format"
    """
    response = client.http.get("/v2/some/repo/nothing-here/x")
    assert_error(response, 404)


def test_method_not_allowed_is_405_with_allow(client: Any, repo: str) -> None:
    """A method an endpoint does not serve: 405 with Allow (RFC 9110 section 15.5.6).

    Spec: "Where this specification does not define specific behavior, implementations SHOULD
    follow the HTTP semantics defined in RFC 9110" -- RFC 9110: "The origin server MUST
    generate an Allow header field in a 405 response".
    """
    push_blob(client, repo, random_bytes(8))
    response = client.http.post(f"/v2/{repo}/tags/list", body=b"")
    assert_error(response, 405, "UNSUPPORTED")
    allow = header(response, "Allow") or ""
    assert "GET" in allow


def test_head_error_has_no_body(client: Any, repo: str) -> None:
    """A failed HEAD has no body (RFC 9110 section 9.3.2).

    Spec: "If the blob or manifest is not found in the repository, the response code MUST be
    `404 Not Found`."
    """
    push_blob(client, repo, random_bytes(8))
    assert_head_error(client.http.head(f"/v2/{repo}/manifests/nope"), 404)
    assert_head_error(client.http.head(f"/v2/{repo}/blobs/{GOOD_DIGEST}"), 404)


# --------------------------------------------------------------------------- names

BAD_NAMES = ["Upper/case", "a..b", "-lead", "trail-", "a___b", "a.-b", "a/-b", "a//b", "_a"]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize(
    "endpoint",
    ["tags/list", "manifests/latest", f"blobs/{GOOD_DIGEST}", "referrers/" + GOOD_DIGEST],
)
def test_bad_name_is_name_invalid(client: Any, name: str, endpoint: str) -> None:
    """A repository name off the grammar: 400 NAME_INVALID.

    Spec: "Throughout this document, `<name>` MUST match the following regular expression:
    `[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*`"; code-8
    "`NAME_INVALID` invalid repository name".
    """
    assert_error(client.http.get(f"/v2/{name}/{endpoint}"), 400, "NAME_INVALID")


@pytest.mark.parametrize("name", BAD_NAMES[:4])
def test_bad_name_on_push_is_name_invalid(client: Any, name: str) -> None:
    """Pushing to a bad name: 400 NAME_INVALID, for uploads and manifests.

    Spec: code-8 "`NAME_INVALID` invalid repository name".
    """
    response = client.http.post(f"/v2/{name}/blobs/uploads/", headers={"content-length": "0"})
    assert_error(response, 400, "NAME_INVALID")
    response = put_manifest(client, name, "v1", b"{}", OCI_MANIFEST)
    assert_error(response, 400, "NAME_INVALID")


# --------------------------------------------------------------------------- references


BAD_REFERENCES = [
    ".dot",
    "-dash",
    "x" * 129,
    "sha256:short",
    "sha256:" + "G" * 64,
    "md5:" + "0" * 32,
    "a:b",
    ".INVALID_MANIFEST_NAME",
]


@pytest.mark.parametrize("reference", BAD_REFERENCES)
def test_bad_reference_on_get_is_a_client_error(client: Any, repo: str, reference: str) -> None:
    """A reference that is neither a tag nor a digest names a manifest that cannot exist:
    GET and HEAD answer 404 MANIFEST_UNKNOWN like for any unknown manifest (the conformance
    suite pulls `.INVALID_MANIFEST_NAME` and expects 404); DELETE stays a 4xx, never 500.

    Spec: "`<tag-or-digest>` MUST be either (a) the digest of the manifest or (b) a tag. The
    `<tag-or-digest>` MUST NOT be in any other format." and "If the manifest is not found in
    the repository, the response code MUST be `404 Not Found`."
    """
    push_blob(client, repo, random_bytes(8))
    response = client.http.get(f"/v2/{repo}/manifests/{reference}")
    assert_error(response, 404, "MANIFEST_UNKNOWN")
    assert len(error_codes(response)) == 1
    assert_head_error(client.http.head(f"/v2/{repo}/manifests/{reference}"), 404)
    assert_error(client.http.delete(f"/v2/{repo}/manifests/{reference}"), (400, 404))


@pytest.mark.parametrize("reference", BAD_REFERENCES)
def test_bad_reference_on_put_stays_400(client: Any, repo: str, reference: str) -> None:
    """Pushing to a reference that is neither a tag nor a digest is the client's mistake:
    400 (MANIFEST_INVALID / TAG_INVALID / DIGEST_INVALID), not the 404 a pull gets."""
    manifest = image()
    for blob in manifest.blobs:
        push_blob(client, repo, blob)
    response = put_manifest(client, repo, reference, manifest.body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_INVALID", "TAG_INVALID", "DIGEST_INVALID")


# --------------------------------------------------------------------------- digests


@pytest.mark.parametrize(
    "digest",
    ["sha256:abc", "sha256:" + "A" * 64, "sha256:" + "g" * 64, "sha512:" + "a" * 64, "x", "a:b:c"],
)
def test_bad_digest_on_blob_endpoints_is_a_client_error(
    client: Any, repo: str, digest: str
) -> None:
    """A malformed blob digest: 400 DIGEST_INVALID or 404 BLOB_UNKNOWN, never 500.

    Spec: "if the client provided digest is invalid or uses an unsupported algorithm, the
    registry SHOULD respond with a response code `400 Bad Request`."
    """
    push_blob(client, repo, random_bytes(5))
    for method in ("get", "delete"):
        response = getattr(client.http, method)(f"/v2/{repo}/blobs/{digest}")
        assert_error(response, (400, 404), "DIGEST_INVALID", "BLOB_UNKNOWN")
    assert_head_error(client.http.head(f"/v2/{repo}/blobs/{digest}"), (400, 404))


@pytest.mark.parametrize("digest", ["sha256:abc", "sha256:" + "Z" * 64, "nope"])
def test_bad_digest_on_monolithic_post_is_400(client: Any, repo: str, digest: str) -> None:
    """A malformed digest on a single POST upload: 400 DIGEST_INVALID.

    Spec: "if the client provided digest is invalid or uses an unsupported algorithm, the
    registry SHOULD respond with a response code `400 Bad Request`."
    """
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/?digest={digest}",
        headers={"content-type": OCTET, "content-length": "3"},
        body=b"abc",
    )
    assert_error(response, 400, "DIGEST_INVALID")


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize("content_range", ["", "a-b", "1-0", "0-18446744073709551616", "0--1"])
def test_bad_content_range_never_500(client: Any, repo: str, content_range: str) -> None:
    """A broken Content-Range is a 400/416 OCI error.

    Spec: "It MUST match the following regular expression: `^[0-9]+-[0-9]+$`" and end-5
    "Failure `404`/`416`".
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(4), content_range)
    if content_range == "":
        # An empty header is an absent header: a streamed PATCH.
        assert response.status_code in (202, 400, 416), response.body[:300]
        if response.status_code != 202:
            assert_error(response, (400, 416))
        return
    assert_error(response, (400, 416), "BLOB_UPLOAD_INVALID", "SIZE_INVALID")


def test_patch_content_length_disagreeing_with_body_is_refused(client: Any, repo: str) -> None:
    """A chunk whose Content-Length is not its size is refused, never half-written.

    Spec: "The `<length>` is the content-length, in bytes, of the current chunk."
    """
    location = start_upload(client, repo)
    response = client.http.patch(
        location,
        headers={"content-type": OCTET, "content-length": "100", "content-range": "0-99"},
        body=random_bytes(10),
    )
    assert_error(response, (400, 416), "BLOB_UPLOAD_INVALID", "SIZE_INVALID")


# --------------------------------------------------------------------------- manifest JSON


def _valid_document(client: Any, repo: str) -> dict[str, Any]:
    config = random_bytes(20)
    layer = random_bytes(30)
    push_blob(client, repo, config)
    push_blob(client, repo, layer)
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, config),
        "layers": [descriptor(OCI_LAYER, layer)],
    }


def _mutations() -> list[tuple[str, Any]]:
    def setter(path: list[str | int], value: Any) -> Any:
        def apply(document: dict[str, Any]) -> bytes:
            target: Any = document
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            return canonical(document)

        return apply

    def deleter(key: str) -> Any:
        def apply(document: dict[str, Any]) -> bytes:
            del document[key]
            return canonical(document)

        return apply

    return [
        ("truncated", lambda d: canonical(d)[:-5]),
        ("empty-body", lambda d: b""),
        ("array", lambda d: b"[]"),
        ("null", lambda d: b"null"),
        ("string", lambda d: b'"manifest"'),
        ("not-utf8", lambda d: b'{"schemaVersion":2,"x":"\xff\xfe"}'),
        (
            "deep-nesting",
            lambda d: b'{"schemaVersion":2,"x":' + b"[" * 100000 + b"]" * 100000 + b"}",
        ),
        ("huge-int", lambda d: b'{"schemaVersion":1' + b"0" * 5000 + b"}"),
        ("nan", lambda d: canonical(d)[:-1] + b',"x":NaN}'),
        ("schema-version-3", setter(["schemaVersion"], 3)),
        ("schema-version-string", setter(["schemaVersion"], "2")),
        ("no-config", deleter("config")),
        ("layers-object", setter(["layers"], {})),
        ("layers-of-strings", setter(["layers"], ["sha256:" + "a" * 64])),
        ("config-digest-bad", setter(["config", "digest"], "sha256:nothex")),
        ("layer-digest-missing", lambda d: _drop_layer_key(d, "digest")),
        ("size-negative", setter(["layers", 0, "size"], -1)),
        ("size-string", setter(["layers", 0, "size"], "30")),
        ("size-float", setter(["layers", 0, "size"], 30.5)),
        ("size-huge", setter(["layers", 0, "size"], 10**40)),
        ("media-type-number", setter(["config", "mediaType"], 5)),
        ("subject-not-descriptor", setter(["subject"], "sha256:" + "a" * 64)),
        ("annotations-not-strings", setter(["annotations"], {"a": 1})),
    ]


def _drop_layer_key(document: dict[str, Any], key: str) -> bytes:
    del document["layers"][0][key]
    return canonical(document)


MUTATIONS = _mutations()


@pytest.mark.parametrize("mutation", [m for _, m in MUTATIONS], ids=[n for n, _ in MUTATIONS])
def test_bad_manifest_json_is_manifest_invalid(client: Any, repo: str, mutation: Any) -> None:
    """A manifest that is not valid JSON, or not a valid OCI manifest: 400 MANIFEST_INVALID.

    Spec: code-6 "`MANIFEST_INVALID` manifest invalid"; design.md "Bad input never yields a
    500, and a failed request leaves no half-written state that a reader can see."
    """
    body = mutation(_valid_document(client, repo))
    response = put_manifest(client, repo, "bad", body, OCI_MANIFEST)
    assert_error(response, 400, "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN")
    assert client.http.get(f"/v2/{repo}/manifests/bad").status_code == 404


# --------------------------------------------------------------------------- media types


@pytest.mark.parametrize(
    "content_type",
    ["application/x-unknown", "text/plain", "application/json", "not a media type"],
)
def test_unknown_manifest_media_type_is_refused(
    client: Any, repo: str, content_type: str | None
) -> None:
    """A manifest without `mediaType`, sent with an unknown (or no) Content-Type: refused.

    Spec: "Clients SHOULD set the `Content-Type` header to the type of the manifest being
    pushed." -- with neither the header nor the field, the type is unknown; design.md "Bad
    input never yields a 500".
    """
    document = _valid_document(client, repo)
    del document["mediaType"]
    response = put_manifest(client, repo, "bad", canonical(document), content_type)
    assert_error(response, (400, 415), "MANIFEST_INVALID", "UNSUPPORTED")


def test_manifest_media_type_field_unknown_is_refused(client: Any, repo: str) -> None:
    """A `mediaType` field naming no manifest type, sent with that Content-Type: refused.

    Spec: "If a manifest includes a `mediaType` field, clients MUST set the `Content-Type`
    header to the value specified by the `mediaType` field."
    """
    document = _valid_document(client, repo)
    document["mediaType"] = "application/vnd.example.unknown+json"
    response = put_manifest(
        client, repo, "bad", canonical(document), "application/vnd.example.unknown+json"
    )
    assert_error(response, (400, 415), "MANIFEST_INVALID", "UNSUPPORTED")


# --------------------------------------------------------------------------- sizes


def test_manifest_content_length_disagreeing_with_body_never_500(client: Any, repo: str) -> None:
    """A manifest PUT whose Content-Length lies is refused (or the real body is used), no 500.

    Spec: "The registry MUST store the manifest in the exact byte representation provided by
    the client."
    """
    document = _valid_document(client, repo)
    body = canonical(document)
    response = client.http.put(
        f"/v2/{repo}/manifests/v1",
        headers={"content-type": OCI_MANIFEST, "content-length": str(len(body) + 50)},
        body=body,
    )
    assert response.status_code in (201, 400), response.body[:300]
    if response.status_code == 400:
        assert_error(response, 400)
    else:
        assert_ok(client.http.get(f"/v2/{repo}/manifests/v1"), 200)


def test_tags_list_with_bad_last_never_500(client: Any, repo: str) -> None:
    """A `last` that is not a tag is a client error or an ordinary page, never a 500.

    Spec: "`<tagname>` MUST NOT be a numerical index, but rather it MUST be a proper tag."
    """
    push_blob(client, repo, random_bytes(8))
    response = client.http.get(f"/v2/{repo}/tags/list?last=%00%ff&n=1")
    assert response.status_code in (200, 400), response.body[:300]
    if response.status_code == 400:
        assert_error(response, 400)


def test_warning_headers_if_any_are_well_formed(client: Any, repo: str) -> None:
    """Any Warning header uses code 299, agent `-`, no date, and stays under 4096 bytes.

    Spec: "If included, `Warning` headers MUST specify a `warn-code` of `299` and a
    `warn-agent` of `-`, and MUST NOT specify a `warn-date` value. A registry MUST NOT send
    more than 4096 bytes of warning data from all headers combined."
    """
    digest = push_blob(client, repo, random_bytes(8))
    responses = [
        client.http.get("/v2/"),
        client.http.get(f"/v2/{repo}/blobs/{digest}"),
        client.http.get(f"/v2/{repo}/manifests/nope"),
        client.http.get(f"/v2/{repo}/referrers/{digest}"),
        client.http.post(f"/v2/{repo}/blobs/uploads/", headers={"content-length": "0"}),
    ]
    assert [r.status_code for r in responses] == [200, 307, 404, 200, 202]
    for response in responses:
        warnings = header_values(response, "Warning")
        assert sum(len(w) for w in warnings) <= 4096
        for warning in warnings:
            assert re.fullmatch(r'299 - "[^"]*"', warning), warning


# --------------------------------------------------------------------------- query strings


@pytest.mark.parametrize("n", ["²", "¹⁰", "\u0661", "-1", "1.5"])
@pytest.mark.parametrize(
    "path", ["/v2/_catalog", "/v2/_berth/repositories", "/v2/{repo}/tags/list"]
)
def test_page_size_that_is_not_ascii_digits_is_400(
    client: Any, repo: str, path: str, n: str
) -> None:
    """`n` must be a non-negative integer: str.isdigit() admitted superscripts (then a 500
    from int()) and other scripts' digits; found by tests/api/test_fuzz.py."""
    push_blob(client, repo, random_bytes(4))
    response = client.http.get(f"{path.format(repo=repo)}?n={quote(n)}")
    assert_error(response, 400, "UNSUPPORTED")


def test_audit_of_a_malformed_repository_name_is_name_invalid(client: Any) -> None:
    """Auth off, the router does not check `repository=`; the audit endpoint must."""
    response = client.http.get("/v2/_berth/audit?repository=a%2F-%2Fb")
    assert_error(response, 400, "NAME_INVALID")
