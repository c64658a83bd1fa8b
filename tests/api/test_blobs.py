"""Blob GET / HEAD / DELETE (end-2, end-10): 307 redirects to presigned S3 URLs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import (
    assert_error,
    assert_head_error,
    assert_ok,
    content_length,
    digest_of,
    fetch_blob,
    header,
    presigned_object,
    presigned_params,
    presigned_target,
    push_blob,
    random_bytes,
)

MISSING = digest_of(b"this blob was never pushed")


def test_blob_get_redirects_with_307_to_presigned_s3_url(client: Any, repo: str) -> None:
    """A blob GET answers 307 whose Location is a presigned SigV4 S3 URL.

    Spec: "Registries MAY respond to any request with a redirect per RFC 9110 (section
    15.4) [...] The status codes documented in this specification are those returned after any
    redirects have been followed."
    """
    data = random_bytes(100)
    digest = push_blob(client, repo, data)
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 307)
    location = header(response, "Location")
    assert location and location.startswith(("http://", "https://"))
    params = presigned_params(location)
    assert params.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256"
    assert params.get("X-Amz-Signature")
    assert response.body == b""


def test_blob_get_redirect_serves_exact_bytes(client: Any, repo: str, s3: Any) -> None:
    """The redirect target holds the blob's bytes, matching the requested digest.

    Spec: "A GET request to an existing blob URL MUST provide the expected blob, with a
    response code that MUST be `200 OK`."
    """
    data = random_bytes(1000)
    digest = push_blob(client, repo, data)
    assert fetch_blob(client, s3, repo, digest) == data


def test_blob_get_presigned_url_expires_shortly(client: Any, repo: str) -> None:
    """The presigned URL carries X-Amz-Expires, and a short one (at most 15 minutes).

    Issue 2: "blob GET/HEAD (307 to a presigned SigV4 S3 URL, short TTL, configurable".
    """
    digest = push_blob(client, repo, random_bytes(10))
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 307)
    expires = presigned_params(header(response, "Location") or "").get("X-Amz-Expires")
    assert expires is not None
    assert 0 < int(expires) <= 900


def test_blob_get_presigned_url_signs_only_host_so_range_works(
    client: Any, repo: str, s3: Any
) -> None:
    """The presigned URL signs only `host`, so a client may add a Range header; S3 honours it.

    Spec: "A registry SHOULD support the `Range` request header in accordance with RFC 9110
    (section 14)."
    """
    data = random_bytes(4096)
    digest = push_blob(client, repo, data)
    response = client.http.get(f"/v2/{repo}/blobs/{digest}", headers={"range": "bytes=10-19"})
    assert_ok(response, 307)
    location = header(response, "Location") or ""
    assert presigned_params(location).get("X-Amz-SignedHeaders") == "host"
    bucket, key = presigned_target(location)
    part = s3.get_object(Bucket=bucket, Key=key, Range="bytes=10-19")["Body"].read()
    assert part == data[10:20]


def test_blob_get_carries_docker_content_digest(client: Any, repo: str) -> None:
    """The registry's own response (the 307) names the digest: S3's 200 cannot.

    Spec: "A successful response MUST contain the digest of the uploaded blob in the header
    `Docker-Content-Digest`."
    """
    digest = push_blob(client, repo, random_bytes(50))
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 307)
    assert header(response, "Docker-Content-Digest") == digest


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_blob_get_digest_header_matches_the_served_body(
    client: Any, repo: str, s3: Any, algorithm: str
) -> None:
    """The Docker-Content-Digest of a blob GET is the digest of the bytes the client receives.

    Spec: "If present, the value of this header MUST be a digest matching that of the
    response body."
    """
    data = random_bytes(300)
    digest = push_blob(client, repo, data, algorithm)
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 307)
    named = header(response, "Docker-Content-Digest") or ""
    served = presigned_object(s3, header(response, "Location") or "")
    name, _, _ = named.partition(":")
    assert name == algorithm
    assert named == digest_of(served, name)


def test_blob_head_answers_200_with_length_and_digest(client: Any, repo: str) -> None:
    """HEAD on a blob: 200, Content-Length, Docker-Content-Digest, no body.

    Spec: "A HEAD request to an existing blob or manifest URL MUST return `200 OK`. A
    successful response MUST contain the digest of the uploaded blob or manifest in the header
    `Docker-Content-Digest`. A successful response MUST contain the size in bytes of the
    uploaded blob or manifest in the header `Content-Length`."
    """
    data = random_bytes(1234)
    digest = push_blob(client, repo, data)
    response = client.http.head(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 200)
    assert header(response, "Docker-Content-Digest") == digest
    assert content_length(response) == 1234
    assert response.body == b""


def test_blob_head_of_empty_blob_has_content_length_zero(client: Any, repo: str) -> None:
    """A zero-byte blob is a blob: HEAD gives 200 and Content-Length 0.

    Spec: "A successful response MUST contain the size in bytes of the uploaded blob or
    manifest in the header `Content-Length`."
    """
    digest = push_blob(client, repo, b"")
    response = client.http.head(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 200)
    assert content_length(response) == 0
    assert header(response, "Docker-Content-Digest") == digest


def test_blob_get_unknown_digest_is_404_blob_unknown(client: Any, repo: str) -> None:
    """GET of a blob the repository does not have: 404 BLOB_UNKNOWN.

    Spec: "If the blob is not found in the repository, the response code MUST be `404 Not
    Found`."
    """
    push_blob(client, repo, random_bytes(10))
    assert_error(client.http.get(f"/v2/{repo}/blobs/{MISSING}"), 404, "BLOB_UNKNOWN")


def test_blob_head_unknown_digest_is_404_without_body(client: Any, repo: str) -> None:
    """HEAD of a missing blob: 404 with no body.

    Spec: "If the blob or manifest is not found in the repository, the response code MUST be
    `404 Not Found`."
    """
    push_blob(client, repo, random_bytes(10))
    assert_head_error(client.http.head(f"/v2/{repo}/blobs/{MISSING}"), 404)


def test_blob_get_in_unknown_repository_is_404(client: Any, repo: str) -> None:
    """A repository that was never pushed to has no blobs.

    Spec: "If the blob is not found in the repository, the response code MUST be `404 Not
    Found`."
    """
    assert_error(
        client.http.get(f"/v2/{repo}/blobs/{MISSING}"), 404, "BLOB_UNKNOWN", "NAME_UNKNOWN"
    )


def test_blob_get_sha512_blob(client: Any, repo: str, s3: Any) -> None:
    """A blob pushed under a sha512 digest is served by that digest.

    Spec: "When pushing a blob with a digest algorithm other than `sha256`, the post request
    SHOULD include the `digest-algorithm` parameter" -- and then it is a blob like any other:
    "A GET request to an existing blob URL MUST provide the expected blob".
    """
    data = random_bytes(300)
    digest = push_blob(client, repo, data, algorithm="sha512")
    assert digest.startswith("sha512:")
    head = client.http.head(f"/v2/{repo}/blobs/{digest}")
    assert_ok(head, 200)
    assert header(head, "Docker-Content-Digest") == digest
    assert content_length(head) == 300
    assert fetch_blob(client, s3, repo, digest) == data


def test_blob_get_invalid_digest_is_a_client_error(client: Any, repo: str) -> None:
    """A malformed digest in the blob URL is a 4xx OCI error, never a 500.

    Spec: "if the client provided digest is invalid or uses an unsupported algorithm, the
    registry SHOULD respond with a response code `400 Bad Request`."
    """
    push_blob(client, repo, random_bytes(10))
    for bad in ["sha256:abc", "sha256:" + "Z" * 64, "nodigest", "md5:" + "0" * 32]:
        response = client.http.get(f"/v2/{repo}/blobs/{bad}")
        assert_error(response, (400, 404), "DIGEST_INVALID", "BLOB_UNKNOWN")


def test_blob_delete_answers_202_and_blob_is_gone(client: Any, repo: str) -> None:
    """DELETE of a blob: 202, then GET/HEAD give 404.

    Spec: "To delete a blob, perform a `DELETE` request to a path in the following format:
    `/v2/<name>/blobs/<digest>` [...] Upon success, the registry MUST respond with code `202
    Accepted`."
    """
    digest = push_blob(client, repo, random_bytes(20))
    response = client.http.delete(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 202)
    assert_error(client.http.get(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert_head_error(client.http.head(f"/v2/{repo}/blobs/{digest}"), 404)


def test_blob_delete_unknown_is_404_blob_unknown(client: Any, repo: str) -> None:
    """DELETE of a blob the repository does not have: 404.

    Spec: "If the blob is not found, a `404 Not Found` code MUST be returned."
    """
    push_blob(client, repo, random_bytes(10))
    assert_error(client.http.delete(f"/v2/{repo}/blobs/{MISSING}"), 404, "BLOB_UNKNOWN")


def test_blob_delete_twice_second_is_404(client: Any, repo: str) -> None:
    """After a delete the blob is not found, so a second delete is 404.

    Spec: "If the blob is not found, a `404 Not Found` code MUST be returned."
    """
    digest = push_blob(client, repo, random_bytes(20))
    assert_ok(client.http.delete(f"/v2/{repo}/blobs/{digest}"), 202)
    assert_error(client.http.delete(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_blob_pushed_again_after_delete_is_readable(client: Any, repo: str, s3: Any) -> None:
    """Deleting a blob does not poison its digest: pushing it again makes it readable.

    Spec: "A GET request to an existing blob URL MUST provide the expected blob, with a
    response code that MUST be `200 OK`."
    """
    data = random_bytes(64)
    digest = push_blob(client, repo, data)
    assert_ok(client.http.delete(f"/v2/{repo}/blobs/{digest}"), 202)
    assert push_blob(client, repo, data) == digest
    assert fetch_blob(client, s3, repo, digest) == data


def test_blob_same_bytes_twice_in_one_repository(client: Any, repo: str, s3: Any) -> None:
    """Pushing the same blob twice succeeds both times (layer de-duplication).

    Spec: "If process A and B upload the same layer at the same time, both operations will
    proceed and the first to complete will be stored in the registry."
    """
    data = random_bytes(77)
    assert push_blob(client, repo, data) == push_blob(client, repo, data)
    assert fetch_blob(client, s3, repo, digest_of(data)) == data


def test_presigned_object_helper_reads_the_bucket(client: Any, repo: str, s3: Any) -> None:
    """The redirect points into Berth's bucket (not some other store).

    Spec: "A GET request to an existing blob URL MUST provide the expected blob".
    """
    import os

    data = random_bytes(33)
    digest = push_blob(client, repo, data)
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert_ok(response, 307)
    location = header(response, "Location") or ""
    bucket, _key = presigned_target(location)
    assert bucket == os.environ["BERTH_BUCKET"]
    assert presigned_object(s3, location) == data
