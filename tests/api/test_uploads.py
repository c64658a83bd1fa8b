"""Blob uploads: POST (end-4a/b/c), PATCH (end-5), PUT (end-6), status GET (end-13),
cancel DELETE (end-14) and cross-repository mount (end-11)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.oci.digest import parse_digest
from chalicelib.storage import blobs
from tests.api.helpers import (
    OCTET,
    UUID_RE,
    assert_error,
    assert_ok,
    blob_head,
    content_length,
    digest_of,
    fetch_blob,
    header,
    patch_upload,
    path_of,
    push_blob,
    put_upload,
    random_bytes,
    start_upload,
    with_query,
)

MiB = 1024 * 1024


def _assert_blob(client: Any, s3: Any, repo: str, data: bytes, algorithm: str = "sha256") -> None:
    digest = digest_of(data, algorithm)
    head = blob_head(client, repo, digest)
    assert_ok(head, 200)
    assert content_length(head) == len(data)
    assert header(head, "Docker-Content-Digest") == digest
    assert fetch_blob(client, s3, repo, digest) == data


def _assert_pullable_location(client: Any, response: Any, digest: str) -> None:
    location = header(response, "Location")
    assert location, "the response MUST carry a Location"
    pulled = client.http.head(path_of(location))
    assert_ok(pulled, 200)
    assert header(pulled, "Docker-Content-Digest") == digest


def _range(response: Any) -> str | None:
    return header(response, "Range")


# --------------------------------------------------------------------------- POST


def test_post_opens_session_with_202_and_uuid_location(client: Any, repo: str) -> None:
    """POST /blobs/uploads/ answers 202 with a Location holding a UUID.

    Spec: "Upon success, the response MUST have a code of `202 Accepted`, and MUST include the
    following header: Location: <blob-push-location>. The `<blob-push-location>` MUST contain a
    UUID representing a unique session ID for the upload to follow."
    """
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/", headers={"content-length": "0"}, body=b""
    )
    assert_ok(response, 202)
    location = header(response, "Location")
    assert location and UUID_RE.search(location)


def test_post_sessions_are_unique(client: Any, repo: str) -> None:
    """Two POSTs give two different sessions.

    Spec: "The `<blob-push-location>` MUST contain a UUID representing a unique session ID for
    the upload to follow."
    """
    first = start_upload(client, repo)
    second = start_upload(client, repo)
    first_id = UUID_RE.search(first)
    second_id = UUID_RE.search(second)
    assert first_id and second_id
    assert first_id.group(0) != second_id.group(0)


def test_post_advertises_chunk_min_length(client: Any, repo: str) -> None:
    """The POST response tells the client the minimum chunk size.

    Spec: "If the registry has a minimum chunk size, the `POST` response SHOULD include the
    following header [...] OCI-Chunk-Min-Length: <size>" (issue 2: "POST (opens a session;
    `OCI-Chunk-Min-Length`)").
    """
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/", headers={"content-length": "0"}, body=b""
    )
    assert_ok(response, 202)
    value = header(response, "OCI-Chunk-Min-Length")
    assert value is not None and re.fullmatch(r"[0-9]+", value) and int(value) > 0


def test_post_with_bad_name_is_name_invalid(client: Any) -> None:
    """A repository name off the grammar is refused.

    Spec: "Throughout this document, `<name>` MUST match the following regular expression:
    `[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*`"
    """
    response = client.http.post("/v2/Bad/Name/blobs/uploads/", headers={"content-length": "0"})
    assert_error(response, 400, "NAME_INVALID")


# --------------------------------------------------------------------------- POST then PUT


def test_post_then_put_creates_blob(client: Any, repo: str, s3: Any) -> None:
    """POST then PUT ?digest= with the body: 201 and a pullable Location.

    Spec: "Upon successful completion of the request, the response MUST have code `201
    Created` and MUST have the following header: Location: <blob-location>. With
    `<blob-location>` being a pullable blob URL."
    """
    data = random_bytes(500)
    digest = digest_of(data)
    location = start_upload(client, repo)
    response = put_upload(client, location, data, digest)
    assert_ok(response, 201)
    _assert_pullable_location(client, response, digest)
    _assert_blob(client, s3, repo, data)


def test_put_answers_docker_content_digest(client: Any, repo: str) -> None:
    """The completed upload names its digest.

    Spec: "The Docker-Content-Digest header returns the digest of the uploaded blob which MAY
    differ from the provided digest." (CNCF registry: 201 with Docker-Content-Digest.)
    """
    data = random_bytes(50)
    location = start_upload(client, repo)
    response = put_upload(client, location, data, digest_of(data))
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == digest_of(data)


def test_post_then_put_empty_blob(client: Any, repo: str, s3: Any) -> None:
    """A zero-length blob uploads like any other.

    Spec: "Upon successful completion of the request, the response MUST have code `201
    Created`"
    """
    location = start_upload(client, repo)
    response = put_upload(client, location, b"", digest_of(b""))
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, b"")


def test_put_with_wrong_digest_is_digest_invalid_and_links_nothing(client: Any, repo: str) -> None:
    """A digest that does not match the bytes: 400 DIGEST_INVALID, and no blob appears.

    Spec: code-4 "`DIGEST_INVALID` provided digest did not match uploaded content"; issue 2:
    "a mismatch gives DIGEST_INVALID and nothing is linked."
    """
    data = random_bytes(100)
    claimed = digest_of(b"something else")
    location = start_upload(client, repo)
    response = put_upload(client, location, data, claimed)
    assert_error(response, 400, "DIGEST_INVALID")
    assert blob_head(client, repo, claimed).status_code == 404
    assert blob_head(client, repo, digest_of(data)).status_code == 404


def test_put_with_malformed_digest_is_400(client: Any, repo: str) -> None:
    """A malformed digest on the closing PUT is a 400.

    Spec: "if the client provided digest is invalid or uses an unsupported algorithm, the
    registry SHOULD respond with a response code `400 Bad Request`."
    """
    for bad in ["sha256:1234", "sha256:" + "G" * 64, "garbage", "sha256"]:
        location = start_upload(client, repo)
        response = put_upload(client, location, b"abc", bad)
        assert_error(response, 400, "DIGEST_INVALID")


def test_put_with_unsupported_algorithm_is_400(client: Any, repo: str) -> None:
    """An algorithm the registry does not support (md5) is a 400.

    Spec: "if the client provided digest is invalid or uses an unsupported algorithm, the
    registry SHOULD respond with a response code `400 Bad Request`."
    """
    data = b"abc"
    location = start_upload(client, repo)
    response = put_upload(client, location, data, digest_of(data, "md5"))
    assert_error(response, 400, "DIGEST_INVALID", "UNSUPPORTED")


def test_put_without_digest_is_400(client: Any, repo: str) -> None:
    """The closing PUT must name the digest.

    Spec: "The closing `PUT` request MUST include the `<digest>` of the whole blob (not the
    final chunk) as a query parameter."
    """
    location = start_upload(client, repo)
    response = client.http.put(
        location, headers={"content-type": OCTET, "content-length": "3"}, body=b"abc"
    )
    assert_error(response, 400, "DIGEST_INVALID", "BLOB_UPLOAD_INVALID")


def test_session_is_closed_after_put(client: Any, repo: str) -> None:
    """Once the PUT completed the upload, the session is gone.

    Spec: "Regardless of how the final chunk is uploaded, the session MUST be closed with a
    `PUT` request."
    """
    data = random_bytes(10)
    location = start_upload(client, repo)
    assert_ok(put_upload(client, location, data, digest_of(data)), 201)
    assert_error(client.http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(patch_upload(client, location, b"more"), 404, "BLOB_UPLOAD_UNKNOWN")


def test_put_to_unknown_session_is_404_blob_upload_unknown(client: Any, repo: str) -> None:
    """A PUT to a session that never existed: 404 BLOB_UPLOAD_UNKNOWN.

    Spec: end-6 "`PUT` `<blob-push-location>?digest=<digest>` ... Failure `404`"; code-3
    "`BLOB_UPLOAD_UNKNOWN` blob upload unknown to registry".
    """
    push_blob(client, repo, random_bytes(5))
    location = f"/v2/{repo}/blobs/uploads/0b8e5b53-7a1c-4e0e-9d5e-2f3c1c9b7a11"
    response = put_upload(client, location, b"abc", digest_of(b"abc"))
    assert_error(response, 404, "BLOB_UPLOAD_UNKNOWN")


def test_post_without_trailing_slash_opens_session(client: Any, repo: str) -> None:
    """`/blobs/uploads` without the trailing slash (API Gateway strips it) opens a session.

    Spec: "To obtain a session ID, perform a `POST` request to a URL in the following format:
    `/v2/<name>/blobs/uploads/` [...] Upon success, the response MUST have a code of `202
    Accepted`"
    """
    response = client.http.post(f"/v2/{repo}/blobs/uploads", headers={"content-length": "0"})
    assert_ok(response, 202)
    assert header(response, "Location")


def test_post_then_single_put_larger_than_one_s3_part(client: Any, repo: str, s3: Any) -> None:
    """A 6 MiB blob in one PUT (containerd's way) is stored byte-exact.

    Spec: "Once the `<blob-push-location>` has been obtained, perform the upload proper by
    making a `PUT` request [...] Upon successful completion of the request, the response MUST
    have code `201 Created`"
    """
    data = random_bytes(6 * MiB + 7)
    location = start_upload(client, repo)
    response = put_upload(client, location, data, digest_of(data))
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, data)


def test_put_with_content_range_and_no_prior_patch(client: Any, repo: str, s3: Any) -> None:
    """The whole blob as the only chunk, on the PUT with `Content-Range: 0-<n-1>`.

    Spec: "The final chunk MAY be uploaded using a `PATCH` request or it MAY be uploaded in the
    closing `PUT` request."
    """
    data = random_bytes(80)
    location = start_upload(client, repo)
    response = put_upload(client, location, data, digest_of(data), {"content-range": "0-79"})
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, data)


def test_empty_patch_keeps_offset(client: Any, repo: str, s3: Any) -> None:
    """A PATCH with no bytes changes nothing; the upload continues.

    Spec: "The response for each successful chunk upload MUST be `202 Accepted`"
    """
    data = random_bytes(40)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[:20], "0-19")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = patch_upload(client, location, b"")
    assert response.status_code in (202, 400, 416), response.body[:300]
    status = client.http.get(location)
    assert_ok(status, 204)
    assert _range(status) == "0-19"
    response = patch_upload(client, location, data[20:], "20-39")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    assert_ok(put_upload(client, location, b"", digest_of(data)), 201)
    _assert_blob(client, s3, repo, data)


# --------------------------------------------------------------------------- single POST


def test_monolithic_post_with_digest_answers_201(client: Any, repo: str, s3: Any) -> None:
    """POST ?digest= with the whole blob: 201 with a pullable Location.

    Spec: "Successful completion of the request MUST return a `201 Created` and MUST include
    the following header: Location: <blob-location>. Here, `<blob-location>` is a pullable blob
    URL." (Issue 2 asks for the monolithic POST.)
    """
    data = random_bytes(700)
    digest = digest_of(data)
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"digest": digest}),
        headers={"content-type": OCTET, "content-length": str(len(data))},
        body=data,
    )
    assert_ok(response, 201)
    _assert_pullable_location(client, response, digest)
    _assert_blob(client, s3, repo, data)


def test_monolithic_post_wrong_digest_is_digest_invalid(client: Any, repo: str) -> None:
    """A single POST whose digest does not match: 400 DIGEST_INVALID, nothing visible.

    Spec: "Likewise, the `<digest>` MUST match the blob's digest."
    """
    data = random_bytes(70)
    claimed = digest_of(b"not these bytes")
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"digest": claimed}),
        headers={"content-type": OCTET, "content-length": str(len(data))},
        body=data,
    )
    assert_error(response, 400, "DIGEST_INVALID")
    assert blob_head(client, repo, claimed).status_code == 404
    assert blob_head(client, repo, digest_of(data)).status_code == 404


def test_monolithic_post_content_length_mismatch_is_refused(client: Any, repo: str) -> None:
    """A Content-Length that is not the body's length is refused, not stored.

    Spec: "The `Content-Length` header MUST match the blob's actual content length."
    """
    data = random_bytes(70)
    digest = digest_of(data)
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"digest": digest}),
        headers={"content-type": OCTET, "content-length": "10"},
        body=data,
    )
    assert_error(response, 400, "SIZE_INVALID", "BLOB_UPLOAD_INVALID", "DIGEST_INVALID")
    assert blob_head(client, repo, digest).status_code == 404


def test_monolithic_post_sha512(client: Any, repo: str, s3: Any) -> None:
    """A single POST with a sha512 digest.

    Spec: "Successful completion of the request MUST return a `201 Created`"; issue 2:
    "Digests: sha256 and sha512."
    """
    data = random_bytes(90)
    digest = digest_of(data, "sha512")
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"digest": digest}),
        headers={"content-type": OCTET, "content-length": str(len(data))},
        body=data,
    )
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, data, "sha512")


# --------------------------------------------------------------------------- chunked PATCH


def test_chunked_patch_with_content_range(client: Any, repo: str, s3: Any) -> None:
    """PATCH chunks with Content-Range: each answers 202 with Location and Range 0-<end>.

    Spec: "The response for each successful chunk upload MUST be `202 Accepted`, and MUST have
    the following headers: Location: <blob-push-location> Range: 0-<end-of-range>" and "The
    `<end-of-range>` value is the position of the last uploaded byte of the blob, matching the
    end value of the `Content-Range` in the request."
    """
    data = random_bytes(300)
    location = start_upload(client, repo)
    for start in range(0, 300, 100):
        response = patch_upload(
            client, location, data[start : start + 100], f"{start}-{start + 99}"
        )
        assert_ok(response, 202)
        assert _range(response) == f"0-{start + 99}"
        new_location = header(response, "Location")
        assert new_location
        location = path_of(new_location)
    response = put_upload(client, location, b"", digest_of(data))
    assert_ok(response, 201)
    _assert_pullable_location(client, response, digest_of(data))
    _assert_blob(client, s3, repo, data)


def test_chunked_final_chunk_in_put(client: Any, repo: str, s3: Any) -> None:
    """The last chunk may ride on the closing PUT, with its Content-Range.

    Spec: "The final chunk MAY be uploaded using a `PATCH` request or it MAY be uploaded in the
    closing `PUT` request."
    """
    data = random_bytes(250)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[:200], "0-199")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = put_upload(
        client, location, data[200:], digest_of(data), headers={"content-range": "200-249"}
    )
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, data)


def test_chunked_final_chunk_in_put_without_content_range(client: Any, repo: str, s3: Any) -> None:
    """The last chunk on the PUT may come without Content-Range (it is "if present").

    Spec: "Content-Length: <length of chunk, if present> Content-Range: <range of chunk, if
    present>"
    """
    data = random_bytes(150)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[:100], "0-99")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = put_upload(client, location, data[100:], digest_of(data))
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, data)


def test_chunked_put_digest_is_of_whole_blob_not_last_chunk(client: Any, repo: str) -> None:
    """The PUT's digest is the whole blob's; the last chunk's digest is refused.

    Spec: "The closing `PUT` request MUST include the `<digest>` of the whole blob (not the
    final chunk) as a query parameter."
    """
    data = random_bytes(200)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[:100], "0-99")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = put_upload(
        client, location, data[100:], digest_of(data[100:]), headers={"content-range": "100-199"}
    )
    assert_error(response, 400, "DIGEST_INVALID")
    assert blob_head(client, repo, digest_of(data[100:])).status_code == 404
    assert blob_head(client, repo, digest_of(data)).status_code == 404


def test_chunk_with_gap_is_416(client: Any, repo: str) -> None:
    """A chunk that does not start right after the previous one: 416.

    Spec: "Chunks MUST be uploaded in order, with the first byte of a chunk being the last
    chunk's `<end-of-range>` plus one. If a chunk is uploaded out of order, the registry MUST
    respond with a `416 Requested Range Not Satisfiable` code."
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(100), "0-99")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = patch_upload(client, location, random_bytes(100), "150-249")
    assert response.status_code == 416, response.body[:300]


def test_chunk_overlapping_previous_is_416(client: Any, repo: str) -> None:
    """A chunk that re-sends bytes already received: 416.

    Spec: "If a chunk is uploaded out of order, the registry MUST respond with a `416 Requested
    Range Not Satisfiable` code."
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(100), "0-99")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = patch_upload(client, location, random_bytes(100), "50-149")
    assert response.status_code == 416, response.body[:300]


def test_first_chunk_not_at_zero_is_416(client: Any, repo: str) -> None:
    """The first chunk must start at byte 0.

    Spec: "The first chunk's range MUST begin with `0`." and "If a chunk is uploaded out of
    order, the registry MUST respond with a `416 Requested Range Not Satisfiable` code."
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(10), "5-14")
    assert response.status_code == 416, response.body[:300]


def test_final_chunk_in_put_out_of_order_is_416(client: Any, repo: str) -> None:
    """A final chunk on the PUT whose range leaves a gap: 416, and nothing is linked.

    Spec: "If the final chunk is uploaded out of order, the registry MUST respond with a `416
    Requested Range Not Satisfiable` code."
    """
    data = random_bytes(200)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[:100], "0-99")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = put_upload(
        client, location, data[100:], digest_of(data), headers={"content-range": "120-219"}
    )
    assert response.status_code == 416, response.body[:300]
    assert blob_head(client, repo, digest_of(data)).status_code == 404, "nothing is linked"
    assert blobs.get_link(repo, parse_digest(digest_of(data))) is None
    assert blob_head(client, repo, digest_of(data)).status_code == 404


def test_after_416_status_shows_valid_offset_and_upload_resumes(
    client: Any, repo: str, s3: Any
) -> None:
    """After a 416 the GET status gives the valid range, and the upload can go on from it.

    Spec: "To get the current status after a 416 error, issue a `GET` request to a URL
    `<blob-push-location>`." and "The response to an active upload `<blob-push-location>`
    MUST be a `204 No Content` response code, and MUST have the following headers: Location:
    <blob-push-location> Range: 0-<end-of-range>"
    """
    data = random_bytes(200)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[:100], "0-99")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    assert patch_upload(client, location, data[150:], "150-199").status_code == 416
    status = client.http.get(location)
    assert_ok(status, 204)
    assert _range(status) == "0-99"
    status_location = header(status, "Location")
    assert status_location
    location = path_of(status_location)
    response = patch_upload(client, location, data[100:], "100-199")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    assert_ok(put_upload(client, location, b"", digest_of(data)), 201)
    _assert_blob(client, s3, repo, data)


@pytest.mark.parametrize("bad", ["abc", "0-", "-9", "9-0", "0-9-10", "0x0-0x9", "0-9,10-19"])
def test_malformed_content_range_is_refused(client: Any, repo: str, bad: str) -> None:
    """A Content-Range off the grammar is a client error, never accepted or a 500.

    Spec: "It MUST match the following regular expression: `^[0-9]+-[0-9]+$`"
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(10), bad)
    assert_error(response, (400, 416), "BLOB_UPLOAD_INVALID")


def test_content_range_length_mismatch_is_refused(client: Any, repo: str) -> None:
    """A Content-Range that does not describe the body is refused, and the offset stays.

    Spec: "The `<range>` refers to the byte range of the chunk, and MUST be inclusive on both
    ends." and "The `<length>` is the content-length, in bytes, of the current chunk."
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(50), "0-99")
    assert_error(response, (400, 416), "BLOB_UPLOAD_INVALID", "SIZE_INVALID")
    data = random_bytes(50)
    response = patch_upload(client, location, data, "0-49")
    assert_ok(response, 202)
    assert _range(response) == "0-49"


def test_huge_content_range_is_refused_without_500(client: Any, repo: str) -> None:
    """A Content-Range with absurd numbers is a client error.

    Spec: "It MUST match the following regular expression: `^[0-9]+-[0-9]+$`"; design.md
    "Bad input never yields a 500".
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(10), "0-99999999999999999999999999")
    assert_error(response, (400, 416), "BLOB_UPLOAD_INVALID", "SIZE_INVALID")


def test_chunks_spanning_s3_part_boundaries(client: Any, repo: str, s3: Any) -> None:
    """Chunks of uneven sizes crossing the 5 MiB multipart boundaries assemble byte-exact.

    Spec: "Chunks MUST be uploaded in order, with the first byte of a chunk being the last
    chunk's `<end-of-range>` plus one." and the closing PUT "MUST be `201 Created`".
    """
    data = random_bytes(11 * MiB + 123)
    sizes = [3 * MiB, 4 * MiB + 17, 1, 4 * MiB - 17, 123 - 1]
    assert sum(sizes) == len(data)
    location = start_upload(client, repo)
    offset = 0
    for size in sizes:
        chunk = data[offset : offset + size]
        response = patch_upload(client, location, chunk, f"{offset}-{offset + size - 1}")
        assert_ok(response, 202)
        offset += size
        assert _range(response) == f"0-{offset - 1}"
        location = path_of(header(response, "Location") or location)
    assert_ok(put_upload(client, location, b"", digest_of(data)), 201)
    _assert_blob(client, s3, repo, data)


@pytest.mark.parametrize("chunks", [[5 * MiB], [5 * MiB, 5 * MiB], [5 * MiB - 1, 1, 1]])
def test_chunks_exactly_on_part_boundaries(
    client: Any, repo: str, s3: Any, chunks: list[int]
) -> None:
    """Chunks ending exactly on (or one byte around) the 5 MiB S3 part size assemble exactly.

    Spec: "The `<end-of-range>` value is the position of the last uploaded byte of the blob,
    matching the end value of the `Content-Range` in the request." and the closing PUT "MUST
    be `201 Created`".
    """
    data = random_bytes(sum(chunks))
    location = start_upload(client, repo)
    offset = 0
    for size in chunks:
        response = patch_upload(
            client, location, data[offset : offset + size], f"{offset}-{offset + size - 1}"
        )
        assert_ok(response, 202)
        offset += size
        assert _range(response) == f"0-{offset - 1}"
        location = path_of(header(response, "Location") or location)
    status = client.http.get(location)
    assert_ok(status, 204)
    assert _range(status) == f"0-{offset - 1}"
    assert_ok(put_upload(client, location, b"", digest_of(data)), 201)
    _assert_blob(client, s3, repo, data)


# --------------------------------------------------------------------------- streamed PATCH


def test_streamed_patch_without_content_range(client: Any, repo: str, s3: Any) -> None:
    """PATCHes without Content-Range append in order (docker's streamed upload).

    Spec: "The response for each successful chunk upload MUST be `202 Accepted`, and MUST have
    the following headers: Location: <blob-push-location> Range: 0-<end-of-range>"
    """
    data = random_bytes(6 * MiB + 5)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data[: 5 * MiB])
    assert_ok(response, 202)
    assert _range(response) == f"0-{5 * MiB - 1}"
    location = path_of(header(response, "Location") or location)
    response = patch_upload(client, location, data[5 * MiB :])
    assert_ok(response, 202)
    assert _range(response) == f"0-{len(data) - 1}"
    location = path_of(header(response, "Location") or location)
    response = put_upload(client, location, b"", digest_of(data))
    assert_ok(response, 201)
    _assert_blob(client, s3, repo, data)


def test_streamed_single_patch_then_put(client: Any, repo: str, s3: Any) -> None:
    """One streamed PATCH of the whole blob, then PUT ?digest= without body.

    Spec: "Regardless of how the final chunk is uploaded, the session MUST be closed with a
    `PUT` request."
    """
    data = random_bytes(1000)
    location = start_upload(client, repo)
    response = patch_upload(client, location, data)
    assert_ok(response, 202)
    assert _range(response) == "0-999"
    location = path_of(header(response, "Location") or location)
    assert_ok(put_upload(client, location, b"", digest_of(data)), 201)
    _assert_blob(client, s3, repo, data)


def test_patch_to_unknown_session_is_404(client: Any, repo: str) -> None:
    """PATCH to a session the registry does not know: 404 BLOB_UPLOAD_UNKNOWN.

    Spec: end-5 "`PATCH` `<blob-push-location>` ... Failure `404`/`416`"
    """
    push_blob(client, repo, random_bytes(5))
    location = f"/v2/{repo}/blobs/uploads/0b8e5b53-7a1c-4e0e-9d5e-2f3c1c9b7a12"
    assert_error(patch_upload(client, location, b"abc", "0-2"), 404, "BLOB_UPLOAD_UNKNOWN")


# --------------------------------------------------------------------------- status GET


def test_status_of_fresh_session_is_204_with_location_and_range(client: Any, repo: str) -> None:
    """GET on an active session: 204 with Location and Range.

    Spec: "The response to an active upload `<blob-push-location>` MUST be a `204 No Content`
    response code, and MUST have the following headers: Location: <blob-push-location> Range:
    0-<end-of-range>"
    """
    location = start_upload(client, repo)
    response = client.http.get(location)
    assert_ok(response, 204)
    assert path_of(header(response, "Location") or "") == location, "the same session"
    assert re.fullmatch(r"0-[0-9]+", _range(response) or "")
    assert response.body == b""


def test_status_after_chunks_reports_last_byte(client: Any, repo: str) -> None:
    """GET status reports the position of the last uploaded byte.

    Spec: "The `<end-of-range>` value is the position of the last uploaded byte of the blob."
    """
    location = start_upload(client, repo)
    response = patch_upload(client, location, random_bytes(123), "0-122")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    status = client.http.get(location)
    assert_ok(status, 204)
    assert _range(status) == "0-122"
    status_location = header(status, "Location")
    assert status_location and UUID_RE.search(status_location)
    assert path_of(status_location) == location, "the status names the same session"


def test_status_of_unknown_session_is_404(client: Any, repo: str) -> None:
    """GET status of a session that does not exist: 404 BLOB_UPLOAD_UNKNOWN.

    Spec: end-13 "`GET` `<blob-push-location>` ... Success `204` Failure `404`"
    """
    push_blob(client, repo, random_bytes(5))
    location = f"/v2/{repo}/blobs/uploads/0b8e5b53-7a1c-4e0e-9d5e-2f3c1c9b7a13"
    assert_error(client.http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")


def test_status_of_garbage_session_id_is_404(client: Any, repo: str) -> None:
    """A session id that is not even a UUID is unknown, not a 500.

    Spec: end-13 "Failure `404`"; design.md "Bad input never yields a 500".
    """
    push_blob(client, repo, random_bytes(5))
    for bad in ["not-a-uuid", "..", "%00", "x" * 300]:
        response = client.http.get(f"/v2/{repo}/blobs/uploads/{bad}")
        assert_error(response, (400, 404), "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID")


# --------------------------------------------------------------------------- cancel


def test_cancel_upload_answers_204_and_session_is_gone(client: Any, repo: str) -> None:
    """DELETE on a session: 204, then the session is unknown.

    Spec: "During a blob upload, the session may be canceled with a `DELETE` request [...] If
    successful, the response SHOULD be a `204 No Content` response code."
    """
    location = start_upload(client, repo)
    assert_ok(patch_upload(client, location, random_bytes(10), "0-9"), 202)
    response = client.http.delete(location, headers={"content-length": "0"})
    assert_ok(response, 204)
    assert_error(client.http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(patch_upload(client, location, b"x", "10-10"), 404, "BLOB_UPLOAD_UNKNOWN")
    data = random_bytes(3)
    assert_error(put_upload(client, location, data, digest_of(data)), 404, "BLOB_UPLOAD_UNKNOWN")


def test_cancel_unknown_upload_is_404(client: Any, repo: str) -> None:
    """DELETE of a session that does not exist: 404 BLOB_UPLOAD_UNKNOWN.

    Spec: end-14 "`DELETE` `<blob-push-location>` ... Success `204` Failure `404`/`400`"
    """
    push_blob(client, repo, random_bytes(5))
    location = f"/v2/{repo}/blobs/uploads/0b8e5b53-7a1c-4e0e-9d5e-2f3c1c9b7a14"
    assert_error(client.http.delete(location), 404, "BLOB_UPLOAD_UNKNOWN")


def test_cancelled_upload_links_nothing(client: Any, repo: str) -> None:
    """Bytes sent to a cancelled session never become a blob.

    Spec: "During a blob upload, the session may be canceled with a `DELETE` request"
    """
    data = random_bytes(64)
    location = start_upload(client, repo)
    assert_ok(patch_upload(client, location, data, "0-63"), 202)
    assert_ok(client.http.delete(location), 204)
    assert blob_head(client, repo, digest_of(data)).status_code == 404


def test_unfinished_upload_times_out(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session left unfinished past the upload TTL is gone: status, PATCH and PUT are 404.

    Spec: "If this request fails or is not called, the server SHOULD eventually timeout
    unfinished uploads." (The staging bytes are then collected: tests/gc/test_gc.py.)
    """
    from datetime import timedelta

    from chalicelib.config import settings
    from chalicelib.storage import clock

    data = random_bytes(64)
    location = start_upload(client, repo)
    assert_ok(patch_upload(client, location, data[:32], "0-31"), 202)
    started = clock.now()
    ttl = timedelta(seconds=settings().upload_ttl)

    monkeypatch.setattr(clock, "source", lambda: started + ttl - timedelta(seconds=60))
    assert_ok(client.http.get(location), 204)

    monkeypatch.setattr(clock, "source", lambda: started + ttl + timedelta(seconds=60))
    assert_error(client.http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(patch_upload(client, location, data[32:], "32-63"), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(put_upload(client, location, data[32:], digest_of(data)), 404)
    assert blob_head(client, repo, digest_of(data)).status_code == 404


# --------------------------------------------------------------------------- mount


def test_mount_from_repository_that_links_blob_is_201(client: Any, repo: str, s3: Any) -> None:
    """Mount a blob linked in `from`: 201, Location, and the blob is now readable here.

    Spec: "The response to a successful mount MUST be `201 Created`, and MUST contain the
    following header: Location: <blob-location>"
    """
    source = f"{repo}-src"
    data = random_bytes(128)
    digest = push_blob(client, source, data)
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"mount": digest, "from": source}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 201)
    _assert_pullable_location(client, response, digest)
    _assert_blob(client, s3, repo, data)


def test_mount_answers_docker_content_digest(client: Any, repo: str) -> None:
    """The mount's 201 names the mounted digest.

    Spec: "The Docker-Content-Digest header returns the digest of the uploaded blob which MAY
    differ from the provided digest."
    """
    source = f"{repo}-src"
    digest = push_blob(client, source, random_bytes(20))
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"mount": digest, "from": source}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == digest


def test_mount_of_unknown_blob_is_202_with_usable_session(client: Any, repo: str, s3: Any) -> None:
    """Mount of a blob `from` does not have: 202 and a session the client can upload to.

    Spec: "Alternatively, if a registry does not support cross-repository mounting or is
    unable to mount the requested blob, it SHOULD return a `202`. This indicates that the
    upload session has begun and that the client MAY proceed with the upload."
    """
    source = f"{repo}-src"
    push_blob(client, source, random_bytes(5))
    data = random_bytes(99)
    digest = digest_of(data)
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"mount": digest, "from": source}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 202)
    location = header(response, "Location")
    assert location and UUID_RE.search(location)
    assert_ok(put_upload(client, path_of(location), data, digest), 201)
    _assert_blob(client, s3, repo, data)


def test_mount_from_unknown_repository_is_202(client: Any, repo: str) -> None:
    """Mount from a repository that does not exist: 202, a plain session.

    Spec: "if a registry [...] is unable to mount the requested blob, it SHOULD return a
    `202`."
    """
    digest = digest_of(random_bytes(10))
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"mount": digest, "from": f"{repo}-nowhere"}),
        headers={"content-length": "0"},
    )
    assert_ok(response, 202)
    assert header(response, "Location")


def test_mount_with_invalid_digest_is_400(client: Any, repo: str) -> None:
    """A malformed `mount` digest is a 400.

    Spec: "In each implementation, if the client provided digest is invalid or uses an
    unsupported algorithm, the registry SHOULD respond with a response code `400 Bad
    Request`."
    """
    source = f"{repo}-src"
    push_blob(client, source, random_bytes(5))
    response = client.http.post(
        with_query(f"/v2/{repo}/blobs/uploads/", {"mount": "sha256:nope", "from": source}),
        headers={"content-length": "0"},
    )
    assert_error(response, 400, "DIGEST_INVALID")


def test_mount_with_invalid_from_name_is_refused(client: Any, repo: str) -> None:
    """A `from` that is not a repository name is a 400 NAME_INVALID (or a plain 202 session).

    Spec: "`<name>` MUST match the following regular expression" (`<other_name>` is a
    `<name>`).
    """
    digest = push_blob(client, repo, random_bytes(5))
    response = client.http.post(
        with_query(f"/v2/{repo}-b/blobs/uploads/", {"mount": digest, "from": "../Bad Name"}),
        headers={"content-length": "0"},
    )
    assert response.status_code in (400, 202), response.body[:300]
    if response.status_code == 400:
        assert_error(response, 400, "NAME_INVALID")
    assert blob_head(client, f"{repo}-b", digest).status_code == 404


# --------------------------------------------------------------------------- digest-algorithm


def test_digest_algorithm_sha512_chunked_upload(client: Any, repo: str, s3: Any) -> None:
    """POST ?digest-algorithm=sha512, PATCH, PUT ?digest=sha512:...: the blob is served by its
    sha512 digest.

    Spec: "When pushing a blob with a digest algorithm other than `sha256`, the post request
    SHOULD include the `digest-algorithm` parameter:
    `/v2/<name>/blobs/uploads/?digest-algorithm=<algorithm>`"
    """
    data = random_bytes(6 * MiB)
    digest = digest_of(data, "sha512")
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/?digest-algorithm=sha512", headers={"content-length": "0"}
    )
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or "")
    response = patch_upload(client, location, data[: 5 * MiB + 1], f"0-{5 * MiB}")
    assert_ok(response, 202)
    location = path_of(header(response, "Location") or location)
    response = put_upload(
        client,
        location,
        data[5 * MiB + 1 :],
        digest,
        headers={"content-range": f"{5 * MiB + 1}-{len(data) - 1}"},
    )
    assert_ok(response, 201)
    assert header(response, "Docker-Content-Digest") == digest
    _assert_blob(client, s3, repo, data, "sha512")


def test_digest_algorithm_sha512_wrong_digest_is_digest_invalid(client: Any, repo: str) -> None:
    """A sha512 session completed with a wrong sha512 digest: 400 DIGEST_INVALID.

    Spec: code-4 "`DIGEST_INVALID` provided digest did not match uploaded content".
    """
    data = random_bytes(100)
    location = start_upload(client, repo, "?digest-algorithm=sha512")
    wrong = digest_of(b"other", "sha512")
    assert_error(put_upload(client, location, data, wrong), 400, "DIGEST_INVALID")
    assert blob_head(client, repo, wrong).status_code == 404


@pytest.mark.parametrize("bad", ["md5", "sha1", "SHA256!", "sha256+b64"])
def test_digest_algorithm_unsupported_is_400(client: Any, repo: str, bad: str) -> None:
    """An algorithm the registry does not support: 400.

    Spec: end-4c "`POST` `/v2/<name>/blobs/uploads/?digest-algorithm=<algorithm>` ... Failure
    `404`/`400`" and "if the client provided digest is invalid or uses an unsupported
    algorithm, the registry SHOULD respond with a response code `400 Bad Request`."
    """
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/?digest-algorithm={bad}", headers={"content-length": "0"}
    )
    assert_error(response, 400, "DIGEST_INVALID", "UNSUPPORTED", "BLOB_UPLOAD_INVALID")


# --------------------------------------------------------------------------- isolation of sessions


def test_session_is_bound_to_its_repository(client: Any, repo: str) -> None:
    """A session opened in one repository cannot be used through another's path.

    Spec: "The `<blob-push-location>` refers to the URL obtained from the preceding `POST`
    request." (issue 2: a blob is readable only where it is linked.)
    """
    other = f"{repo}-other"
    push_blob(client, other, random_bytes(5))
    location = start_upload(client, repo)
    match = UUID_RE.search(location)
    assert match
    foreign = f"/v2/{other}/blobs/uploads/{match.group(0)}"
    data = random_bytes(10)
    assert_error(client.http.get(foreign), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(put_upload(client, foreign, data, digest_of(data)), 404, "BLOB_UPLOAD_UNKNOWN")
    assert blob_head(client, other, digest_of(data)).status_code == 404
