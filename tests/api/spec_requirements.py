# ruff: noqa: E501 (sentences are quoted whole so that grep finds them)
"""Every normative sentence of the distribution spec (v1.1.1 and main) and what checks it.

Each sentence the extraction (spec_extract.py) finds is here, with either the tests that
check it (node ids, `file::function`) or an exemption saying why Berth has no test for it.
test_spec_coverage.py fails when the spec gains a sentence not listed here, when a listed
sentence leaves the spec, or when a listed test disappears; so a spec update or a renamed
test forces someone to look again rather than letting coverage rot silently.

Exemption categories:
  CLIENT          a requirement on clients (or on what a client writes), not on the registry.
  NOT_APPLICABLE  conditional on something Berth does not do (deletion disabled, no single-POST
                  uploads, a proxy); the reason names the test showing Berth's side.
  GAP             a registry requirement Berth does not test (yet); the reason says why.

The same sentence may occur in several sections; it is listed once and its tests cover every
occurrence. The comment above each entry is the section it was first found in.
"""

from __future__ import annotations

from dataclasses import dataclass

CLIENT = "client"
NOT_APPLICABLE = "not-applicable"
GAP = "gap"
CATEGORIES = frozenset({CLIENT, NOT_APPLICABLE, GAP})

V111 = "v1.1.1"
MAIN = "main"
VERSIONS = (V111, MAIN)


@dataclass(frozen=True)
class Requirement:
    """One normative sentence (as spec_extract normalises it), the spec versions holding it,
    and the tests that check it or the (category, reason) exempting it."""

    text: str
    versions: tuple[str, ...]
    tests: tuple[str, ...] = ()
    exempt: tuple[str, str] | None = None


REQUIREMENTS: tuple[Requirement, ...] = (
    # Legacy Docker support HTTP headers
    Requirement(
        "Unless documented elsewhere in the spec, these headers are OPTIONAL and clients SHOULD NOT depend on them.",
        (MAIN,),
        exempt=(CLIENT, "tells clients how to treat legacy Docker headers"),
    ),
    # Legacy Docker support error codes
    Requirement(
        "These error codes are OPTIONAL and clients SHOULD NOT depend on them.",
        (V111, MAIN),
        exempt=(CLIENT, "tells clients how to treat legacy Docker error codes"),
    ),
    # Requirements
    Requirement(
        "All registries conforming to this specification MUST support, at a minimum, all APIs in the Pull category.",
        (V111, MAIN),
        tests=(
            "tests/api/test_blobs.py::test_blob_get_redirect_serves_exact_bytes",
            "tests/api/test_blobs.py::test_blob_head_answers_200_with_length_and_digest",
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_manifests.py::test_get_by_digest_returns_exact_bytes",
            "tests/api/test_manifests.py::test_head_by_tag_and_digest_gives_length_and_digest",
            "tests/api/test_base.py::test_base_get_answers_200",
        ),
    ),
    # Requirements
    Requirement(
        "Registries SHOULD also support the Push, Content Discovery, and Content Management categories.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_post_then_put_creates_blob",
            "tests/api/test_uploads.py::test_chunked_patch_with_content_range",
            "tests/api/test_manifests.py::test_put_by_tag_answers_201_location_and_digest",
            "tests/api/test_tags.py::test_tags_list_has_name_and_all_tags_in_lexical_order",
            "tests/api/test_referrers.py::test_referrers_is_an_image_index_with_its_content_type",
            "tests/api/test_manifests.py::test_delete_by_tag_answers_202_and_tag_is_gone",
            "tests/api/test_manifests.py::test_delete_by_digest_answers_202_and_tags_are_gone",
            "tests/api/test_blobs.py::test_blob_delete_answers_202_and_blob_is_gone",
        ),
    ),
    # Requirements
    Requirement(
        "A registry claiming conformance with one of these specification categories MUST implement all APIs in the claimed category.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_post_then_put_creates_blob",
            "tests/api/test_uploads.py::test_chunked_patch_with_content_range",
            "tests/api/test_manifests.py::test_put_by_tag_answers_201_location_and_digest",
            "tests/api/test_tags.py::test_tags_list_has_name_and_all_tags_in_lexical_order",
            "tests/api/test_referrers.py::test_referrers_is_an_image_index_with_its_content_type",
            "tests/api/test_manifests.py::test_delete_by_tag_answers_202_and_tag_is_gone",
            "tests/api/test_manifests.py::test_delete_by_digest_answers_202_and_tags_are_gone",
            "tests/api/test_blobs.py::test_blob_delete_answers_202_and_blob_is_gone",
            "tests/api/test_uploads.py::test_monolithic_post_with_digest_answers_201",
            "tests/api/test_uploads.py::test_mount_from_repository_that_links_blob_is_201",
            "tests/api/test_uploads.py::test_status_of_fresh_session_is_204_with_location_and_range",
            "tests/api/test_uploads.py::test_cancel_upload_answers_204_and_session_is_gone",
            "tests/api/test_manifests.py::test_put_by_digest_with_tags_answers_oci_tag",
            "tests/api/test_tags.py::test_tags_list_with_n_returns_n_first_and_link",
            "tests/api/test_tags.py::test_tags_list_with_last_starts_after_it",
            "tests/api/test_referrers.py::test_referrers_filter_by_artifact_type",
        ),
    ),
    # Pulling manifests
    Requirement(
        "<tag-or-digest> MUST be either (a) the digest of the manifest or (b) a tag.",
        (MAIN,),
        tests=(
            "tests/api/test_manifests.py::test_get_by_digest_returns_exact_bytes",
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_errors.py::test_bad_reference_on_get_is_a_client_error",
        ),
    ),
    # Pulling manifests
    Requirement(
        "The <tag-or-digest> MUST NOT be in any other format.",
        (MAIN,),
        tests=(
            "tests/api/test_errors.py::test_bad_reference_on_get_is_a_client_error",
            "tests/api/test_errors.py::test_bad_reference_on_put_stays_400",
            "tests/api/test_manifests.py::test_invalid_tags_are_refused",
        ),
    ),
    # Pulling manifests
    Requirement(
        "Throughout this document, <name> MUST match the following regular expression:",
        (V111, MAIN),
        tests=(
            "tests/api/test_errors.py::test_bad_name_is_name_invalid",
            "tests/api/test_errors.py::test_bad_name_on_push_is_name_invalid",
            "tests/api/test_uploads.py::test_post_with_bad_name_is_name_invalid",
            "tests/api/test_manifests.py::test_nested_repository_names_work_on_every_endpoint",
        ),
    ),
    # Pulling manifests
    Requirement(
        "Throughout this document, <tag-or-digest> as a tag MUST be at most 128 characters in length and MUST match the following regular expression:",
        (MAIN,),
        tests=(
            "tests/api/test_manifests.py::test_valid_tags_are_accepted",
            "tests/api/test_manifests.py::test_invalid_tags_are_refused",
            "tests/api/test_manifests.py::test_put_by_digest_with_invalid_tag_is_refused",
        ),
    ),
    # Pulling manifests
    Requirement(
        "The client SHOULD include an Accept header indicating which manifest content types it supports.",
        (V111, MAIN),
        exempt=(CLIENT, "what a client sends in Accept"),
    ),
    # Pulling manifests
    Requirement(
        "The registry SHOULD NOT include parameters on the Content-Type header.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_get_content_type_has_no_parameters",),
    ),
    # Pulling manifests
    Requirement(
        "The client SHOULD ignore parameters on the Content-Type header.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client reads Content-Type"),
    ),
    # Pulling manifests
    Requirement(
        "The Content-Type header SHOULD match what the client pushed as the manifest's Content-Type.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_manifests.py::test_head_carries_the_manifest_content_type",
            "tests/api/test_manifests.py::test_manifest_without_media_type_field_uses_content_type",
            "tests/api/test_manifests.py::test_docker_schema2_manifest",
            "tests/api/test_manifests.py::test_docker_manifest_list",
        ),
    ),
    # Pulling manifests
    Requirement(
        "If the manifest has a mediaType field, clients SHOULD reject unless the mediaType field's value matches the type specified by the Content-Type header.",
        (V111, MAIN),
        exempt=(CLIENT, "what a client rejects on pull"),
    ),
    # Pulling manifests
    Requirement(
        "A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that MUST be 200 OK.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_manifests.py::test_get_by_digest_returns_exact_bytes",
        ),
    ),
    # Pulling manifests
    Requirement(
        "A successful response MUST contain the digest of the uploaded blob in the header Docker-Content-Digest.",
        (MAIN,),
        tests=(
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_blobs.py::test_blob_get_carries_docker_content_digest",
        ),
    ),
    # Pulling manifests
    Requirement(
        "Most clients MAY ignore the value, but if it is used, the client MUST verify the value matches the returned manifest.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client uses Docker-Content-Digest"),
    ),
    # Pulling manifests
    Requirement(
        "If the <tag-or-digest> part of a manifest request is a digest, clients SHOULD verify the returned manifest matches this digest.",
        (MAIN,),
        exempt=(CLIENT, "what a client verifies on pull"),
    ),
    # Pulling manifests
    Requirement(
        "If the manifest is not found in the repository, the response code MUST be 404 Not Found.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_get_unknown_tag_is_404_manifest_unknown",
            "tests/api/test_manifests.py::test_get_unknown_digest_is_404_manifest_unknown",
            "tests/api/test_isolation.py::test_manifest_of_a_is_unknown_through_b",
            "tests/api/test_errors.py::test_bad_reference_on_get_is_a_client_error",
        ),
    ),
    # Pulling blobs
    Requirement(
        "A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be 200 OK.",
        (V111, MAIN),
        tests=(
            "tests/api/test_blobs.py::test_blob_get_redirect_serves_exact_bytes",
            "tests/api/test_blobs.py::test_blob_get_redirects_with_307_to_presigned_s3_url",
        ),
    ),
    # Pulling blobs
    Requirement(
        "If present, the value of this header MUST be a digest matching that of the response body.",
        (V111, MAIN),
        tests=("tests/api/test_blobs.py::test_blob_get_digest_header_matches_the_served_body",),
    ),
    # Pulling blobs
    Requirement(
        "Most clients MAY ignore the value, but if it is used, the client MUST verify the value matches the returned response body.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client uses Docker-Content-Digest"),
    ),
    # Pulling blobs
    Requirement(
        "Clients SHOULD verify that the response body matches the requested digest.",
        (V111, MAIN),
        exempt=(CLIENT, "what a client verifies on pull"),
    ),
    # Pulling blobs
    Requirement(
        "If the blob is not found in the repository, the response code MUST be 404 Not Found.",
        (V111, MAIN),
        tests=(
            "tests/api/test_blobs.py::test_blob_get_unknown_digest_is_404_blob_unknown",
            "tests/api/test_blobs.py::test_blob_get_in_unknown_repository_is_404",
            "tests/api/test_isolation.py::test_blob_of_repo_a_is_blob_unknown_through_repo_b_get",
        ),
    ),
    # Pulling blobs
    Requirement(
        "A registry SHOULD support the Range request header in accordance with RFC 9110 (section 14).",
        (MAIN,),
        tests=(
            "tests/api/test_blobs.py::test_blob_get_presigned_url_signs_only_host_so_range_works",
        ),
    ),
    # Checking if content exists in the registry
    Requirement(
        "A HEAD request to an existing blob or manifest URL MUST return 200 OK.",
        (V111, MAIN),
        tests=(
            "tests/api/test_blobs.py::test_blob_head_answers_200_with_length_and_digest",
            "tests/api/test_manifests.py::test_head_by_tag_and_digest_gives_length_and_digest",
        ),
    ),
    # Checking if content exists in the registry
    Requirement(
        "A successful response MUST contain the digest of the uploaded blob or manifest in the header Docker-Content-Digest.",
        (MAIN,),
        tests=(
            "tests/api/test_blobs.py::test_blob_head_answers_200_with_length_and_digest",
            "tests/api/test_manifests.py::test_head_by_tag_and_digest_gives_length_and_digest",
        ),
    ),
    # Checking if content exists in the registry
    Requirement(
        "A successful response MUST contain the size in bytes of the uploaded blob or manifest in the header Content-Length.",
        (MAIN,),
        tests=(
            "tests/api/test_blobs.py::test_blob_head_answers_200_with_length_and_digest",
            "tests/api/test_blobs.py::test_blob_head_of_empty_blob_has_content_length_zero",
            "tests/api/test_manifests.py::test_head_by_tag_and_digest_gives_length_and_digest",
        ),
    ),
    # Checking if content exists in the registry
    Requirement(
        "If the blob or manifest is not found in the repository, the response code MUST be 404 Not Found.",
        (V111, MAIN),
        tests=(
            "tests/api/test_blobs.py::test_blob_head_unknown_digest_is_404_without_body",
            "tests/api/test_manifests.py::test_head_unknown_manifest_is_404_without_body",
            "tests/api/test_isolation.py::test_blob_of_repo_a_is_404_through_repo_b_head",
        ),
    ),
    # Push
    Requirement(
        "A registry MUST initially accept an otherwise valid manifest with a subject field that references a manifest that does not exist in the repository, allowing clients to push a manifest and referrers to that manifest in either order.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_subject_that_does_not_exist_is_accepted",
            "tests/api/test_referrers.py::test_referrer_pushed_before_subject_is_listed",
        ),
    ),
    # Push
    Requirement(
        "When a manifest is rejected for this reason, it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors .",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_missing_layer_is_manifest_blob_unknown",
            "tests/api/test_manifests.py::test_missing_config_is_manifest_blob_unknown",
            "tests/api/test_manifests.py::test_index_with_missing_child_is_refused",
            "tests/api/test_isolation.py::test_manifest_in_b_cannot_reference_blob_only_in_a",
        ),
    ),
    # Pushing blobs
    Requirement(
        "In each implementation, if the client provided digest is invalid or uses an unsupported algorithm, the registry SHOULD respond with a response code 400 Bad Request.",
        (MAIN,),
        tests=(
            "tests/api/test_uploads.py::test_put_with_malformed_digest_is_400",
            "tests/api/test_uploads.py::test_put_with_unsupported_algorithm_is_400",
            "tests/api/test_errors.py::test_bad_digest_on_monolithic_post_is_400",
            "tests/api/test_uploads.py::test_mount_with_invalid_digest_is_400",
            "tests/api/test_uploads.py::test_digest_algorithm_unsupported_is_400",
        ),
    ),
    # POST then PUT
    Requirement(
        "Upon success, the response MUST have a code of 202 Accepted, and MUST include the following header:",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_post_opens_session_with_202_and_uuid_location",
            "tests/api/test_uploads.py::test_post_without_trailing_slash_opens_session",
        ),
    ),
    # POST then PUT
    Requirement(
        "The <blob-push-location> MUST contain a UUID representing a unique session ID for the upload to follow.",
        (MAIN,),
        tests=(
            "tests/api/test_uploads.py::test_post_opens_session_with_202_and_uuid_location",
            "tests/api/test_uploads.py::test_post_sessions_are_unique",
        ),
    ),
    # POST then PUT
    Requirement(
        "Additionally, it SHOULD match exactly the <blob-push-location> obtained from the POST request.",
        (MAIN,),
        exempt=(
            CLIENT,
            "which URL a client PUTs to (every upload test uses the Location verbatim)",
        ),
    ),
    # POST then PUT
    Requirement(
        "It SHOULD NOT be assembled manually by clients except where absolute/relative conversion is necessary.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client builds the upload URL"),
    ),
    # POST then PUT
    Requirement(
        "Upon successful completion of the request, the response MUST have code 201 Created and MUST have the following header:",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_post_then_put_creates_blob",
            "tests/api/test_uploads.py::test_post_then_put_empty_blob",
        ),
    ),
    # Single POST
    Requirement(
        "The Content-Length header MUST match the blob's actual content length.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_monolithic_post_content_length_mismatch_is_refused",
        ),
    ),
    # Single POST
    Requirement(
        "Likewise, the <digest> MUST match the blob's digest.",
        (V111, MAIN),
        tests=("tests/api/test_uploads.py::test_monolithic_post_wrong_digest_is_digest_invalid",),
    ),
    # Single POST
    Requirement(
        "Registries that do not support single request monolithic uploads SHOULD return a 202 Accepted status code and Location header and clients SHOULD proceed with a subsequent PUT request, as described by the POST then PUT upload method.",
        (V111, MAIN),
        exempt=(
            NOT_APPLICABLE,
            "for registries without single-POST uploads; Berth has them: test_monolithic_post_with_digest_answers_201",
        ),
    ),
    # Single POST
    Requirement(
        "Successful completion of the request MUST return a 201 Created and MUST include the following header:",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_monolithic_post_with_digest_answers_201",
            "tests/api/test_uploads.py::test_monolithic_post_sha512",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The process remains unchanged for chunked upload, except that the post request MUST include the following header:",
        (V111, MAIN),
        exempt=(CLIENT, "what a client sends on POST (Content-Length: 0)"),
    ),
    # Pushing a blob in chunks
    Requirement(
        "When pushing a blob with a digest algorithm other than sha256, the post request SHOULD include the digest-algorithm parameter:",
        (MAIN,),
        exempt=(
            CLIENT,
            "what a client sends; Berth honours it: test_digest_algorithm_sha512_chunked_upload",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "If the registry has a minimum chunk size, the POST response SHOULD include the following header, where <size> is the size in bytes (see the blob PATCH definition for usage):",
        (V111, MAIN),
        tests=("tests/api/test_uploads.py::test_post_advertises_chunk_min_length",),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The <range> refers to the byte range of the chunk, and MUST be inclusive on both ends.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_content_range_length_mismatch_is_refused",
            "tests/api/test_uploads.py::test_chunked_patch_with_content_range",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The first chunk's range MUST begin with 0.",
        (V111, MAIN),
        tests=("tests/api/test_uploads.py::test_first_chunk_not_at_zero_is_416",),
    ),
    # Pushing a blob in chunks
    Requirement(
        "It MUST match the following regular expression:",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_malformed_content_range_is_refused",
            "tests/api/test_errors.py::test_bad_content_range_never_500",
            "tests/api/test_uploads.py::test_huge_content_range_is_refused_without_500",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "If the registry provides an OCI-Chunk-Min-Length header in the POST response, the size of each chunk, except for the final chunk, SHOULD be greater or equal to that value.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client sizes its chunks"),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The response for each successful chunk upload MUST be 202 Accepted, and MUST have the following headers:",
        (MAIN,),
        tests=(
            "tests/api/test_uploads.py::test_chunked_patch_with_content_range",
            "tests/api/test_uploads.py::test_streamed_patch_without_content_range",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "Each consecutive chunk upload SHOULD use the <blob-push-location> provided in the response to the previous chunk upload.",
        (MAIN,),
        exempt=(CLIENT, "which URL a client sends the next chunk to"),
    ),
    # Pushing a blob in chunks
    Requirement(
        "Chunks MUST be uploaded in order, with the first byte of a chunk being the last chunk's <end-of-range> plus one.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_chunk_with_gap_is_416",
            "tests/api/test_uploads.py::test_chunk_overlapping_previous_is_416",
            "tests/api/test_uploads.py::test_chunks_spanning_s3_part_boundaries",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "If a chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_chunk_with_gap_is_416",
            "tests/api/test_uploads.py::test_chunk_overlapping_previous_is_416",
            "tests/api/test_uploads.py::test_first_chunk_not_at_zero_is_416",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "Regardless of how the final chunk is uploaded, the session MUST be closed with a PUT request.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_session_is_closed_after_put",
            "tests/api/test_uploads.py::test_streamed_single_patch_then_put",
            "tests/api/test_uploads.py::test_chunked_final_chunk_in_put",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The closing PUT request MUST include the <digest> of the whole blob (not the final chunk) as a query parameter.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_put_without_digest_is_400",
            "tests/api/test_uploads.py::test_chunked_put_digest_is_of_whole_blob_not_last_chunk",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The response to a successful closing of the session MUST be 201 Created, and MUST contain the following header:",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_chunked_patch_with_content_range",
            "tests/api/test_uploads.py::test_chunked_final_chunk_in_put",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "If the final chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code.",
        (MAIN,),
        tests=("tests/api/test_uploads.py::test_final_chunk_in_put_out_of_order_is_416",),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The response to an active upload <blob-push-location> MUST be a 204 No Content response code, and MUST have the following headers:",
        (MAIN,),
        tests=(
            "tests/api/test_uploads.py::test_status_of_fresh_session_is_204_with_location_and_range",
            "tests/api/test_uploads.py::test_status_after_chunks_reports_last_byte",
            "tests/api/test_uploads.py::test_after_416_status_shows_valid_offset_and_upload_resumes",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The following chunk upload SHOULD use the <blob-push-location> provided in the response.",
        (MAIN,),
        exempt=(CLIENT, "which URL a client sends the next chunk to"),
    ),
    # Cancel a blob upload
    Requirement(
        "If successful, the response SHOULD be a 204 No Content response code.",
        (MAIN,),
        tests=("tests/api/test_uploads.py::test_cancel_upload_answers_204_and_session_is_gone",),
    ),
    # Cancel a blob upload
    Requirement(
        "Clients SHOULD send this request when aborting a blob upload, releasing server resources.",
        (MAIN,),
        exempt=(CLIENT, "when a client cancels"),
    ),
    # Cancel a blob upload
    Requirement(
        "Clients SHOULD ignore any failures.",
        (MAIN,),
        exempt=(CLIENT, "how a client treats a failed cancel"),
    ),
    # Cancel a blob upload
    Requirement(
        "If this request fails or is not called, the server SHOULD eventually timeout unfinished uploads.",
        (MAIN,),
        tests=(
            "tests/api/test_uploads.py::test_unfinished_upload_times_out",
            "tests/gc/test_gc.py::test_upload_expiry_cleans_staging_objects_and_sessions",
        ),
    ),
    # Mounting a blob from another repository
    Requirement(
        "The response to a successful mount MUST be 201 Created, and MUST contain the following header:",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_mount_from_repository_that_links_blob_is_201",
            "tests/api/test_uploads.py::test_mount_answers_docker_content_digest",
        ),
    ),
    # Mounting a blob from another repository
    Requirement(
        "Most clients MAY ignore the value but if it is used, the client SHOULD verify the value against the uploaded blob data.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client uses Docker-Content-Digest"),
    ),
    # Mounting a blob from another repository
    Requirement(
        "Alternatively, if a registry does not support cross-repository mounting or is unable to mount the requested blob, it SHOULD return a 202.",
        (V111, MAIN),
        tests=(
            "tests/api/test_uploads.py::test_mount_of_unknown_blob_is_202_with_usable_session",
            "tests/api/test_uploads.py::test_mount_from_unknown_repository_is_202",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "Clients SHOULD set the Content-Type header to the type of the manifest being pushed.",
        (V111, MAIN),
        exempt=(CLIENT, "what a client sends as Content-Type"),
    ),
    # Pushing Manifests
    Requirement(
        "The client SHOULD NOT include parameters on the Content-Type header (see RFC 7231 (section 3.1.1.1)).",
        (MAIN,),
        exempt=(CLIENT, "what a client sends as Content-Type"),
    ),
    # Pushing Manifests
    Requirement(
        "The registry SHOULD ignore parameters on the Content-Type header.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_get_content_type_has_no_parameters",),
    ),
    # Pushing Manifests
    Requirement(
        "All manifests SHOULD include a mediaType field declaring the type of the manifest being pushed.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "what a manifest author writes; Berth accepts one without it: test_manifest_without_media_type_field_uses_content_type",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "If a manifest includes a mediaType field, clients MUST set the Content-Type header to the value specified by the mediaType field.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_media_type_field_must_match_content_type",
            "tests/api/test_errors.py::test_manifest_media_type_field_unknown_is_refused",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "<name> is the namespace of the repository, and the <tag-or-digest> MUST be either a) a digest or b) a tag.",
        (MAIN,),
        tests=(
            "tests/api/test_manifests.py::test_invalid_tags_are_refused",
            "tests/api/test_manifests.py::test_put_by_digest_answers_201",
            "tests/api/test_manifests.py::test_put_by_tag_answers_201_location_and_digest",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "The uploaded manifest MUST reference any blobs that make up the object.",
        (V111, MAIN),
        exempt=(CLIENT, "what a client puts in its manifest"),
    ),
    # Pushing Manifests
    Requirement(
        "The registry MUST store the manifest in the exact byte representation provided by the client.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_manifest_round_trips_byte_exact",),
    ),
    # Pushing Manifests
    Requirement(
        "Upon a successful upload, the registry MUST return response code 201 Created, and MUST have the following header:",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_put_by_tag_answers_201_location_and_digest",
            "tests/api/test_manifests.py::test_put_by_digest_answers_201",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "The Docker-Content-Digest header returns the digest of the uploaded blob, and MUST be equal to the client provided digest.",
        (MAIN,),
        tests=(
            "tests/api/test_manifests.py::test_put_by_digest_answers_201",
            "tests/api/test_manifests.py::test_put_by_wrong_digest_is_digest_invalid",
            "tests/api/test_manifests.py::test_put_by_sha512_digest_round_trips",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "Clients MAY ignore the value but if it is used, the client SHOULD verify the value against the uploaded blob data.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client uses Docker-Content-Digest"),
    ),
    # Pushing Manifests
    Requirement(
        "SHOULD support pushing at least 10 tags per request.",
        (MAIN,),
        tests=("tests/api/test_manifests.py::test_put_by_digest_with_ten_tags",),
    ),
    # Pushing Manifests
    Requirement(
        "MUST include an OCI-Tag response header, in accordance with RFC 9110 (section 5) semantics, for each accepted tag.",
        (MAIN,),
        tests=("tests/api/test_manifests.py::test_put_by_digest_with_tags_answers_oci_tag",),
    ),
    # Pushing Manifests
    Requirement(
        "An attempt to pull a nonexistent repository MUST return response code 404 Not Found.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_get_from_nonexistent_repository_is_404",),
    ),
    # Pushing Manifests
    Requirement(
        "A registry SHOULD enforce some limit on the maximum manifest size that it can accept.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_manifest_over_4_mib_is_413",),
    ),
    # Pushing Manifests
    Requirement(
        "A registry that enforces this limit SHOULD respond to a request to push a manifest over this limit with a response code 413 Payload Too Large.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_manifest_over_4_mib_is_413",),
    ),
    # Pushing Manifests
    Requirement(
        "Client and registry implementations SHOULD expect to be able to support manifest pushes of at least 4 megabytes.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_manifest_of_4_mib_is_accepted",
            "tests/api/test_manifests.py::test_manifest_just_over_dynamodb_item_limit_round_trips",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "When processing a request for an image manifest with the subject field, a registry implementation that supports the referrers API MUST respond with the response header OCI-Subject: <subject digest> to indicate to the client that the registry processed the request's subject.",
        (V111, MAIN),
        tests=(
            "tests/api/test_manifests.py::test_subject_answers_oci_subject",
            "tests/api/test_manifests.py::test_no_subject_no_oci_subject_header",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "When pushing a manifest with the subject field and the OCI-Subject header was not set, the client MUST:",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "If that pull returns a manifest other than the expected image index, the client SHOULD report a failure and skip the remaining steps.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "If the tag returns a 404, the client MUST begin with an empty image index.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "Verify the descriptor for the manifest is not already in the referrers list (duplicate entries SHOULD NOT be created).",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "The value of the artifactType MUST be set to the artifactType value in the pushed manifest, if present.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "If the artifactType is empty or missing in a pushed image manifest, the value of artifactType MUST be set to the config descriptor mediaType value.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Pushing Manifests with Subject
    Requirement(
        "All annotations from the pushed manifest MUST be copied to this descriptor.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when OCI-Subject is absent; Berth always sends it: test_subject_answers_oci_subject",
        ),
    ),
    # Listing Tags
    Requirement(
        "Assuming a repository is found, this request MUST return a 200 OK response code.",
        (V111, MAIN),
        tests=("tests/api/test_tags.py::test_tags_list_has_name_and_all_tags_in_lexical_order",),
    ),
    # Listing Tags
    Requirement(
        'If the list is not empty, the tags MUST be in lexical (i.e. case-insensitive alphanumeric order) or "ASCIIbetical" (Go\'s sort.Strings) order.',
        (MAIN,),
        tests=("tests/api/test_tags.py::test_tags_list_has_name_and_all_tags_in_lexical_order",),
    ),
    # Listing Tags
    Requirement(
        "Upon success, the response MUST be a json body in the following format:",
        (V111, MAIN),
        tests=(
            "tests/api/test_tags.py::test_tags_list_has_name_and_all_tags_in_lexical_order",
            "tests/api/test_tags.py::test_tags_list_without_tags_is_empty",
        ),
    ),
    # Listing Tags
    Requirement(
        "Otherwise, the response MUST include <int> results.",
        (V111, MAIN),
        tests=("tests/api/test_tags.py::test_tags_list_with_n_returns_n_first_and_link",),
    ),
    # Listing Tags
    Requirement(
        'If included, the Link header MUST be set according to RFC 5988 with the Relation Type rel="next".',
        (MAIN,),
        tests=(
            "tests/api/test_tags.py::test_tags_list_link_is_rel_next_and_walks_all_tags",
            "tests/api/test_tags.py::test_tags_list_link_header_syntax",
        ),
    ),
    # Listing Tags
    Requirement(
        "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header.",
        (V111, MAIN),
        tests=("tests/api/test_tags.py::test_tags_list_n_zero_is_empty_without_link",),
    ),
    # Listing Tags
    Requirement(
        'As above, the tags MUST be in lexical or "ASCIIbetical" order.',
        (MAIN,),
        tests=(
            "tests/api/test_tags.py::test_tags_list_with_n_returns_n_first_and_link",
            "tests/api/test_tags.py::test_tags_list_link_is_rel_next_and_walks_all_tags",
        ),
    ),
    # Listing Tags
    Requirement(
        "<tagname> MUST NOT be a numerical index, but rather it MUST be a proper tag.",
        (V111, MAIN),
        tests=(
            "tests/api/test_tags.py::test_tags_list_with_last_starts_after_it",
            "tests/api/test_tags.py::test_tags_list_with_last_that_is_not_a_tag",
        ),
    ),
    # Listing Tags
    Requirement(
        'The tags MUST be in lexical or "ASCIIbetical" order.',
        (MAIN,),
        tests=(
            "tests/api/test_tags.py::test_tags_list_with_last_starts_after_it",
            "tests/api/test_tags.py::test_tags_list_with_last_only",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If the registry supports the referrers API, the registry MUST NOT return a 404 Not Found to a referrers API requests.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_for_unknown_subject_is_200_empty",
            "tests/api/test_referrers.py::test_referrers_in_unknown_repository_is_not_404",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad Request MUST be returned.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_with_bad_digest_is_400",
            "tests/api/test_referrers.py::test_referrers_without_a_digest_is_400_not_404",
        ),
    ),
    # Listing Referrers
    Requirement(
        "Upon success, the response MUST be a JSON body with an image index containing a list of descriptors.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_is_an_image_index_with_its_content_type",
        ),
    ),
    # Listing Referrers
    Requirement(
        "The Content-Type header MUST be set to application/vnd.oci.image.index.v1+json.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_is_an_image_index_with_its_content_type",
        ),
    ),
    # Listing Referrers
    Requirement(
        "The descriptors MUST include an artifactType field that is set to the value of the artifactType in the image manifest or index, if present.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_lists_each_referrer_descriptor",
            "tests/api/test_referrers.py::test_referrers_index_with_artifact_type_keeps_it",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If the artifactType is empty or missing in the image manifest, the value of artifactType MUST be set to the config descriptor mediaType value.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_artifact_type_falls_back_to_config_media_type",
            "tests/api/test_referrers.py::test_referrers_empty_artifact_type_falls_back_to_config",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If the artifactType is empty or missing in an index, the artifactType MUST be omitted.",
        (V111, MAIN),
        tests=("tests/api/test_referrers.py::test_referrers_index_without_artifact_type_omits_it",),
    ),
    # Listing Referrers
    Requirement(
        "The descriptors MUST include annotations from the image manifest or index.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_lists_each_referrer_descriptor",
            "tests/api/test_referrers.py::test_referrers_without_annotations_has_no_stray_annotations",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If a query results in no matching referrers, an empty manifest list MUST be returned.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_for_unknown_subject_is_200_empty",
            "tests/api/test_referrers.py::test_referrers_filter_without_match_is_empty_with_header",
        ),
    ),
    # Listing Referrers
    Requirement(
        "A Link header MUST be included in the response when the descriptor list cannot be returned in a single manifest.",
        (V111, MAIN),
        tests=("tests/api/test_referrers.py::test_referrers_paginate_with_link_when_many",),
    ),
    # Listing Referrers
    Requirement(
        'The Link header MUST be set according to RFC 5988 with the Relation Type rel="next".',
        (MAIN,),
        tests=("tests/api/test_referrers.py::test_referrers_paginate_with_link_when_many",),
    ),
    # Listing Referrers
    Requirement(
        "The registry SHOULD support filtering on artifactType.",
        (V111, MAIN),
        tests=("tests/api/test_referrers.py::test_referrers_filter_by_artifact_type",),
    ),
    # Listing Referrers
    Requirement(
        "If filtering is requested and applied, the response MUST include a header OCI-Filters-Applied: artifactType denoting that an artifactType filter was applied.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_filter_by_artifact_type",
            "tests/api/test_referrers.py::test_referrers_filter_without_match_is_empty_with_header",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If multiple filters are applied, the header MUST contain a comma separated list of applied filters.",
        (V111, MAIN),
        exempt=(
            NOT_APPLICABLE,
            "Berth has one filter (artifactType), so never applies several: test_referrers_filter_by_artifact_type",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If the referrers API returns a 404, the client MUST fallback to pulling the referrers tag schema.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when the referrers API answers 404; Berth never does: test_referrers_in_unknown_repository_is_not_404",
        ),
    ),
    # Listing Referrers
    Requirement(
        "The response SHOULD be an image index with the same content that would be expected from the referrers API.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when the referrers API answers 404; Berth never does: test_referrers_in_unknown_repository_is_not_404",
        ),
    ),
    # Listing Referrers
    Requirement(
        "If the response to the referrers API is a 404, and the tag schema does not return a valid image index, the client SHOULD assume there are no referrers to the manifest.",
        (V111, MAIN),
        exempt=(
            CLIENT,
            "the client fallback when the referrers API answers 404; Berth never does: test_referrers_in_unknown_repository_is_not_404",
        ),
    ),
    # Deleting tags
    Requirement(
        "Upon success, the registry MUST respond with a 202 Accepted code.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_delete_by_tag_answers_202_and_tag_is_gone",),
    ),
    # Deleting tags
    Requirement(
        "If tag deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed.",
        (V111, MAIN),
        exempt=(
            NOT_APPLICABLE,
            "for registries with tag deletion disabled, and Berth never disables it (test_delete_by_tag_answers_202_and_tag_is_gone); the immutable-tags rule is a refusal of one tag by a repository policy, like a missing delete grant, so it answers 403 DENIED naming the rule (test_immutable_tag_cannot_be_deleted_nor_its_manifest), not the 400/405 of a registry without the operation",
        ),
    ),
    # Deleting Manifests
    Requirement(
        "If the repository does not exist, the response MUST return 404 Not Found.",
        (V111, MAIN),
        tests=("tests/api/test_manifests.py::test_delete_in_nonexistent_repository_is_404",),
    ),
    # Deleting Manifests
    Requirement(
        "If manifest deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed.",
        (V111, MAIN),
        exempt=(
            NOT_APPLICABLE,
            "for registries with manifest deletion disabled, and Berth never disables it (test_delete_by_digest_answers_202_and_tags_are_gone); a manifest an immutable tag names is refused 403 DENIED by that repository policy (test_delete_by_digest_with_one_immutable_tag_deletes_nothing)",
        ),
    ),
    # Deleting Manifests
    Requirement(
        "When deleting an image manifest that contains a subject field, and the referrers API returns a 404, clients SHOULD:",
        (V111, MAIN),
        exempt=(CLIENT, "the client fallback when the referrers API answers 404"),
    ),
    # Deleting Blobs
    Requirement(
        "Upon success, the registry MUST respond with code 202 Accepted.",
        (V111, MAIN),
        tests=("tests/api/test_blobs.py::test_blob_delete_answers_202_and_blob_is_gone",),
    ),
    # Deleting Blobs
    Requirement(
        "If the blob is not found, a 404 Not Found code MUST be returned.",
        (V111, MAIN),
        tests=(
            "tests/api/test_blobs.py::test_blob_delete_unknown_is_404_blob_unknown",
            "tests/api/test_blobs.py::test_blob_delete_twice_second_is_404",
            "tests/api/test_isolation.py::test_delete_through_b_of_blob_only_in_a_is_404",
        ),
    ),
    # Deleting Blobs
    Requirement(
        "If blob deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed.",
        (V111, MAIN),
        tests=(
            # Disabled for a blob an image under an immutable tag needs: 405 UNSUPPORTED.
            "tests/extensions/test_immutability.py::test_a_blob_an_immutable_image_needs_cannot_be_deleted",
        ),
    ),
    # Registry Proxying
    Requirement(
        "The host in the repository name SHOULD be the first component of the full repository name used by a client.",
        (MAIN,),
        exempt=(CLIENT, "how a client names proxied repositories"),
    ),
    # Registry Proxying
    Requirement(
        "This host component in a repository name SHOULD be the registry host a client considers the primary source for a repository, however, a client MAY be configured to use a different host.",
        (MAIN,),
        exempt=(CLIENT, "how a client names proxied repositories"),
    ),
    # Registry Proxying
    Requirement(
        "A registry that uses the ns query parameter to scope the request SHOULD return the ns query parameter value in the OCI-Namespace header.",
        (MAIN,),
        exempt=(
            NOT_APPLICABLE,
            "for registries that scope by ns; Berth is not a proxy and ignores ns: test_pull_with_ns_query_parameter_is_served",
        ),
    ),
    # Registry Proxying
    Requirement(
        "A client SHOULD be aware of whether a registry host is a proxy, such as when the ns query parameter differs from the Host header.",
        (MAIN,),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Registry Proxying
    Requirement(
        "A client SHOULD avoid sending ns query parameters to non-proxy registries.",
        (MAIN,),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Registry Proxying
    Requirement(
        "Implementers note: Authorization credentials for an upstream registry SHOULD NOT be sent to a proxy registry unless explicitly configured or instructed to do so by the credential owner.",
        (MAIN,),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Backwards Compatibility
    Requirement(
        "Client implementations MUST support registries that implement partial or older versions of the OCI Distribution Spec.",
        (V111, MAIN),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Backwards Compatibility
    Requirement(
        "This section describes client fallback procedures that MUST be implemented when a new/optional API is not available from a registry.",
        (V111, MAIN),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Unavailable Referrers API
    Requirement(
        "A client that pushes an image manifest with a defined subject field MUST verify the referrers API is available or fallback to updating the image index pushed to a tag described by the referrers tag schema.",
        (V111, MAIN),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Unavailable Referrers API
    Requirement(
        "A client querying the referrers API and receiving a 404 Not Found MUST fallback to using an image index pushed to a tag described by the referrers tag schema.",
        (V111, MAIN),
        exempt=(CLIENT, "a client procedure"),
    ),
    # Referrers Tag Schema
    Requirement(
        "The Referrers Tag associated with a Content Digest MUST match the Truncated Algorithm, a - character, and the Truncated Encoded section, with any characters not allowed by <tag-or-digest> tags replaced with -.",
        (MAIN,),
        tests=(
            "tests/unit/test_reference.py::test_referrers_tag_spec_examples",
            "tests/unit/test_reference.py::test_referrers_tag_every_row_of_the_spec_table",
            "tests/unit/test_reference.py::test_referrers_tag_of_any_grammar_digest",
        ),
    ),
    # Referrers Tag Schema
    Requirement(
        "The Truncated Algorithm associated with a Content Digest MUST match the digest's algorithm section truncated to 32 characters.",
        (MAIN,),
        tests=(
            "tests/unit/test_reference.py::test_referrers_tag_spec_examples",
            "tests/unit/test_reference.py::test_referrers_tag_every_row_of_the_spec_table",
            "tests/unit/test_reference.py::test_referrers_tag_of_any_grammar_digest",
        ),
    ),
    # Referrers Tag Schema
    Requirement(
        "The Truncated Encoded section associated with a Content Digest MUST match the digest's encoded section truncated to 64 characters.",
        (MAIN,),
        tests=(
            "tests/unit/test_reference.py::test_referrers_tag_spec_examples",
            "tests/unit/test_reference.py::test_referrers_tag_every_row_of_the_spec_table",
            "tests/unit/test_reference.py::test_referrers_tag_of_any_grammar_digest",
        ),
    ),
    # Enabling the Referrers API
    Requirement(
        "Registries MUST include preexisting image manifests that are listed in an image index tagged with the referrers tag schema and have a valid subject field in the referrers API response.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrer_listed_in_a_referrers_tag_index_is_listed",
        ),
    ),
    # Enabling the Referrers API
    Requirement(
        "After the referrers API is enabled, Registries MUST include all newly pushed image manifests with a valid subject field in the referrers API response.",
        (V111, MAIN),
        tests=(
            "tests/api/test_referrers.py::test_referrers_lists_each_referrer_descriptor",
            "tests/api/test_referrers.py::test_referrer_pushed_before_subject_is_listed",
        ),
    ),
    # API
    Requirement(
        "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP semantics defined in RFC 9110.",
        (MAIN,),
        tests=(
            "tests/api/test_errors.py::test_method_not_allowed_is_405_with_allow",
            "tests/api/test_base.py::test_base_head_answers_200_without_body",
            "tests/api/test_errors.py::test_head_error_has_no_body",
        ),
    ),
    # API
    Requirement(
        "Registries MAY respond to any request with a redirect per RFC 9110 (section 15.4); clients SHOULD follow such redirects, and MUST NOT forward Authorization headers across host boundaries unless explicitly configured to do so.",
        (MAIN,),
        exempt=(
            CLIENT,
            "the SHOULD and MUST NOT are on clients following redirects (Berth redirects blob GETs: test_blob_get_redirects_with_307_to_presigned_s3_url)",
        ),
    ),
    # Error Codes
    Requirement(
        "If the response body is in JSON format, it MUST have the following format:",
        (V111, MAIN),
        tests=(
            "tests/api/test_errors.py::test_error_body_shape_and_json_content_type",
            "tests/api/test_errors.py::test_unknown_endpoint_is_404_with_error_body",
        ),
    ),
    # Error Codes
    Requirement(
        "The code field MUST be a unique identifier, containing only uppercase alphabetic characters and underscores.",
        (V111, MAIN),
        tests=(
            "tests/api/test_errors.py::test_error_body_shape_and_json_content_type",
            "tests/unit/test_errors.py::test_codes_are_uppercase_letters_and_underscores",
        ),
    ),
    # Error Codes
    Requirement(
        "The message field is OPTIONAL, and if present, it SHOULD be a human readable string or MAY be empty.",
        (V111, MAIN),
        tests=(
            "tests/api/test_errors.py::test_error_body_shape_and_json_content_type",
            "tests/unit/test_errors.py::test_default_body",
        ),
    ),
    # Error Codes
    Requirement(
        "The code field MUST be one of the following:",
        (V111, MAIN),
        tests=(
            "tests/api/test_errors.py::test_error_body_shape_and_json_content_type",
            "tests/api/test_errors.py::test_unknown_endpoint_is_404_with_error_body",
            "tests/api/test_errors.py::test_bad_name_is_name_invalid",
            "tests/unit/test_errors.py::test_every_4xx_code_is_a_spec_code",
            "tests/unit/test_errors.py::test_spec_error_codes_literal_is_the_spec_table",
        ),
    ),
    # Error Codes
    Requirement(
        "A 429 Too Many Requests response (RFC 6585 (section 4)) SHOULD include a Retry-After header per RFC 9110 (section 10.2.3).",
        (MAIN,),
        tests=(
            "tests/auth/test_gate_attacks.py::test_failed_logins_are_rate_limited",
            "tests/auth/test_storage.py::test_rate_limit",
        ),
    ),
    # Warnings
    Requirement(
        "If included, Warning headers MUST specify a warn-code of 299 and a warn-agent of -, and MUST NOT specify a warn-date value.",
        (V111, MAIN),
        tests=("tests/api/test_errors.py::test_warning_headers_if_any_are_well_formed",),
    ),
    # Warnings
    Requirement(
        "A registry MUST NOT send more than 4096 bytes of warning data from all headers combined.",
        (V111, MAIN),
        tests=("tests/api/test_errors.py::test_warning_headers_if_any_are_well_formed",),
    ),
    # Warnings
    Requirement(
        "If a client receives Warning response headers, it SHOULD report the warnings to the user in an unobtrusive way.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client treats Warning headers"),
    ),
    # Warnings
    Requirement(
        "Clients SHOULD deduplicate warnings from multiple associated responses.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client treats Warning headers"),
    ),
    # Warnings
    Requirement(
        "In accordance with RFC 7234, clients MUST NOT take any automated action based on the presence or contents of warnings, only report them to the user.",
        (V111, MAIN),
        exempt=(CLIENT, "how a client treats Warning headers"),
    ),
    # Legacy Docker support HTTP headers
    Requirement(
        "These headers are OPTIONAL and clients SHOULD NOT depend on them.",
        (V111,),
        exempt=(CLIENT, "tells clients how to treat legacy Docker headers"),
    ),
    # Pulling manifests
    Requirement(
        "<reference> MUST be either (a) the digest of the manifest or (b) a tag.",
        (V111,),
        tests=(
            "tests/api/test_manifests.py::test_get_by_digest_returns_exact_bytes",
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_errors.py::test_bad_reference_on_get_is_a_client_error",
        ),
    ),
    # Pulling manifests
    Requirement(
        "The <reference> MUST NOT be in any other format.",
        (V111,),
        tests=(
            "tests/api/test_errors.py::test_bad_reference_on_get_is_a_client_error",
            "tests/api/test_errors.py::test_bad_reference_on_put_stays_400",
            "tests/api/test_manifests.py::test_invalid_tags_are_refused",
        ),
    ),
    # Pulling manifests
    Requirement(
        "Throughout this document, <reference> as a tag MUST be at most 128 characters in length and MUST match the following regular expression:",
        (V111,),
        tests=(
            "tests/api/test_manifests.py::test_valid_tags_are_accepted",
            "tests/api/test_manifests.py::test_invalid_tags_are_refused",
            "tests/api/test_manifests.py::test_put_by_digest_with_invalid_tag_is_refused",
        ),
    ),
    # Pulling manifests
    Requirement(
        "A successful response SHOULD contain the digest of the uploaded blob in the header Docker-Content-Digest.",
        (V111,),
        tests=(
            "tests/api/test_manifests.py::test_get_by_tag_returns_exact_bytes_type_and_digest",
            "tests/api/test_blobs.py::test_blob_get_carries_docker_content_digest",
        ),
    ),
    # Pulling manifests
    Requirement(
        "If the <reference> part of a manifest request is a digest, clients SHOULD verify the returned manifest matches this digest.",
        (V111,),
        exempt=(CLIENT, "what a client verifies on pull"),
    ),
    # Pulling blobs
    Requirement(
        "A registry SHOULD support the Range request header in accordance with RFC 9110.",
        (V111,),
        tests=(
            "tests/api/test_blobs.py::test_blob_get_presigned_url_signs_only_host_so_range_works",
        ),
    ),
    # Checking if content exists in the registry
    Requirement(
        "A successful response SHOULD contain the size in bytes of the uploaded blob in the header Content-Length.",
        (V111,),
        tests=(
            "tests/api/test_blobs.py::test_blob_head_answers_200_with_length_and_digest",
            "tests/api/test_blobs.py::test_blob_head_of_empty_blob_has_content_length_zero",
            "tests/api/test_manifests.py::test_head_by_tag_and_digest_gives_length_and_digest",
        ),
    ),
    # POST then PUT
    Requirement(
        "The <location> MUST contain a UUID representing a unique session ID for the upload to follow.",
        (V111,),
        tests=(
            "tests/api/test_uploads.py::test_post_opens_session_with_202_and_uuid_location",
            "tests/api/test_uploads.py::test_post_sessions_are_unique",
        ),
    ),
    # POST then PUT
    Requirement(
        "Additionally, it SHOULD match exactly the <location> obtained from the POST request.",
        (V111,),
        exempt=(
            CLIENT,
            "which URL a client PUTs to (every upload test uses the Location verbatim)",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "Each successful chunk upload MUST have a 202 Accepted response code, and MUST have the following headers:",
        (V111,),
        tests=(
            "tests/api/test_uploads.py::test_chunked_patch_with_content_range",
            "tests/api/test_uploads.py::test_streamed_patch_without_content_range",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "Each consecutive chunk upload SHOULD use the <location> provided in the response to the previous chunk upload.",
        (V111,),
        exempt=(CLIENT, "which URL a client sends the next chunk to"),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The response to an active upload <location> MUST be a 204 No Content response code, and MUST have the following headers:",
        (V111,),
        tests=(
            "tests/api/test_uploads.py::test_status_of_fresh_session_is_204_with_location_and_range",
            "tests/api/test_uploads.py::test_status_after_chunks_reports_last_byte",
            "tests/api/test_uploads.py::test_after_416_status_shows_valid_offset_and_upload_resumes",
        ),
    ),
    # Pushing a blob in chunks
    Requirement(
        "The following chunk upload SHOULD use the <location> provided in the response.",
        (V111,),
        exempt=(CLIENT, "which URL a client sends the next chunk to"),
    ),
    # Pushing Manifests
    Requirement(
        "The client SHOULD NOT include parameters on the Content-Type header (see RFC7231).",
        (V111,),
        exempt=(CLIENT, "what a client sends as Content-Type"),
    ),
    # Pushing Manifests
    Requirement(
        "<name> is the namespace of the repository, and the <reference> MUST be either a) a digest or b) a tag.",
        (V111,),
        tests=(
            "tests/api/test_manifests.py::test_invalid_tags_are_refused",
            "tests/api/test_manifests.py::test_put_by_digest_answers_201",
            "tests/api/test_manifests.py::test_put_by_tag_answers_201_location_and_digest",
        ),
    ),
    # Pushing Manifests
    Requirement(
        "The Docker-Content-Digest header returns the canonical digest of the uploaded blob, and MUST be equal to the client provided digest.",
        (V111,),
        tests=(
            "tests/api/test_manifests.py::test_put_by_digest_answers_201",
            "tests/api/test_manifests.py::test_put_by_wrong_digest_is_digest_invalid",
            "tests/api/test_manifests.py::test_put_by_sha512_digest_round_trips",
        ),
    ),
    # Listing Tags
    Requirement(
        "If the list is not empty, the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order).",
        (V111,),
        tests=("tests/api/test_tags.py::test_tags_list_has_name_and_all_tags_in_lexical_order",),
    ),
    # Listing Tags
    Requirement(
        'If included, the Link header MUST be set according to RFC5988 with the Relation Type rel="next".',
        (V111,),
        tests=(
            "tests/api/test_tags.py::test_tags_list_link_is_rel_next_and_walks_all_tags",
            "tests/api/test_tags.py::test_tags_list_link_header_syntax",
        ),
    ),
    # Listing Tags
    Requirement(
        "As above, the tags MUST be in lexical order.",
        (V111,),
        tests=(
            "tests/api/test_tags.py::test_tags_list_with_n_returns_n_first_and_link",
            "tests/api/test_tags.py::test_tags_list_link_is_rel_next_and_walks_all_tags",
        ),
    ),
    # Listing Tags
    Requirement(
        "The tags MUST be in lexical order.",
        (V111,),
        tests=(
            "tests/api/test_tags.py::test_tags_list_with_last_starts_after_it",
            "tests/api/test_tags.py::test_tags_list_with_last_only",
        ),
    ),
    # Listing Referrers
    Requirement(
        'The Link header MUST be set according to RFC5988 with the Relation Type rel="next".',
        (V111,),
        tests=("tests/api/test_referrers.py::test_referrers_paginate_with_link_when_many",),
    ),
)
