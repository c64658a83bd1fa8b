"""Mapping /v2 paths to endpoints (chalicelib/oci/paths.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.oci.paths import Endpoint, Resource, parse_path
from chalicelib.oci.reference import is_valid_name
from tests.unit.strategies import (
    LOWER_ALNUM,
    TRICKY_COMPONENTS,
    names,
    registered_digests,
    tags,
)

DIGEST = "sha256:" + "a" * 64
UPLOAD_ID = "0d9f5c1e-3a7b-4c55-9b1e-2f4a6d8c0e11"
upload_ids = st.one_of(
    st.uuids().map(str),
    st.text(LOWER_ALNUM + "-_", min_size=1, max_size=40),
    st.sampled_from(TRICKY_COMPONENTS),
)
references = st.one_of(tags, registered_digests, st.sampled_from(TRICKY_COMPONENTS))


def _paths(name: str) -> list[tuple[str, Endpoint]]:
    """Every endpoint of the spec's table for `name`, as (path, expected endpoint)."""
    return [
        (f"/v2/{name}/tags/list", Endpoint(Resource.TAGS, name)),
        (f"/v2/{name}/manifests/latest", Endpoint(Resource.MANIFEST, name, "latest")),
        (f"/v2/{name}/manifests/{DIGEST}", Endpoint(Resource.MANIFEST, name, DIGEST)),
        (f"/v2/{name}/blobs/{DIGEST}", Endpoint(Resource.BLOB, name, DIGEST)),
        (f"/v2/{name}/blobs/uploads/", Endpoint(Resource.UPLOADS, name)),
        (f"/v2/{name}/blobs/uploads", Endpoint(Resource.UPLOADS, name)),
        (f"/v2/{name}/blobs/uploads/{UPLOAD_ID}", Endpoint(Resource.UPLOAD, name, UPLOAD_ID)),
        (f"/v2/{name}/referrers/{DIGEST}", Endpoint(Resource.REFERRERS, name, DIGEST)),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/", Endpoint(Resource.BASE)),
        ("/v2", Endpoint(Resource.BASE)),
        ("v2", Endpoint(Resource.BASE)),
        ("/v2/_catalog", Endpoint(Resource.CATALOG)),
        ("/v2/_catalog/", Endpoint(Resource.CATALOG)),
    ],
)
def test_base_and_catalog(path: str, expected: Endpoint) -> None:
    assert parse_path(path) == expected


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "library/ubuntu",
        "a/b/c/d/e/f/g/h/i/j",
        "blobs",
        "manifests",
        "uploads",
        "tags",
        "list",
        "referrers",
        "v2",
        "a/blobs",
        "a/manifests",
        "a/blobs/uploads",
        "a/tags/list",
        "a/manifests/latest",
        "a/referrers/x",
        "blobs/uploads/blobs/uploads",
        "manifests/manifests",
        "tags/list/tags/list",
        "v2/v2/v2",
    ],
)
def test_every_endpoint_for_names_with_tricky_segments(name: str) -> None:
    assert is_valid_name(name)
    for path, expected in _paths(name):
        assert parse_path(path) == expected, path


@pytest.mark.parametrize(
    "reference", ["list", "uploads", "blobs", "manifests", "tags", "referrers"]
)
def test_tags_that_look_like_segments(reference: str) -> None:
    assert parse_path(f"/v2/a/manifests/{reference}") == Endpoint(Resource.MANIFEST, "a", reference)
    assert parse_path(f"/v2/a/tags/manifests/{reference}") == Endpoint(
        Resource.MANIFEST, "a/tags", reference
    )


def test_upload_ids_that_look_like_segments() -> None:
    for upload_id in ["uploads", "blobs", "list", "manifests"]:
        assert parse_path(f"/v2/a/blobs/uploads/{upload_id}") == Endpoint(
            Resource.UPLOAD, "a", upload_id
        )


@settings(max_examples=75)
@given(names, references, upload_ids, registered_digests)
def test_generated_names_round_trip(name: str, reference: str, upload_id: str, digest: str) -> None:
    cases = [
        (f"/v2/{name}/tags/list", Endpoint(Resource.TAGS, name)),
        (f"/v2/{name}/manifests/{reference}", Endpoint(Resource.MANIFEST, name, reference)),
        (f"/v2/{name}/blobs/{digest}", Endpoint(Resource.BLOB, name, digest)),
        (f"/v2/{name}/blobs/uploads/", Endpoint(Resource.UPLOADS, name)),
        (f"/v2/{name}/blobs/uploads/{upload_id}", Endpoint(Resource.UPLOAD, name, upload_id)),
        (f"/v2/{name}/referrers/{digest}", Endpoint(Resource.REFERRERS, name, digest)),
    ]
    for path, expected in cases:
        assert parse_path(path) == expected, path
        # The path without its leading slash names the same endpoint.
        assert parse_path(path.lstrip("/")) == expected, path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/v1/a/manifests/latest",
        "/v2a/manifests/latest",
        "/v3/",
        "/a/manifests/latest",
        "/v2/a",
        "/v2/a/b",
        "/v2/a/manifests",
        "/v2/manifests/latest",
        "/v2/blobs/" + DIGEST,
        "/v2/tags/list",
        "/v2/a/tags",
        "/v2/a/tags/other",
        "/v2/a/blobs",
        "/v2/blobs/uploads/x",
        "/v2/a/unknown/x",
    ],
)
def test_no_endpoint(path: str) -> None:
    assert parse_path(path) is None


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v2//manifests/latest", ""),
        ("/v2/a//b/manifests/latest", "a//b"),
        ("/v2/A/manifests/latest", "A"),
    ],
)
def test_names_are_returned_for_the_router_to_validate(path: str, name: str) -> None:
    endpoint = parse_path(path)
    assert endpoint is not None
    assert endpoint.name == name
    assert not is_valid_name(endpoint.name)


@settings(max_examples=150)
@given(
    st.lists(
        st.sampled_from([*TRICKY_COMPONENTS, "a", "_catalog", "", DIGEST, "latest"]), max_size=7
    ),
    st.booleans(),
)
def test_fuzz_segments(segments: list[str], trailing_slash: bool) -> None:
    path = "/v2/" + "/".join(segments) + ("/" if trailing_slash else "")
    endpoint = parse_path(path)
    if endpoint is None:
        return
    # Whatever is recognised rebuilds to the same path (modulo slashes at the ends).
    rebuilt = {
        Resource.BASE: "v2",
        Resource.CATALOG: "v2/_catalog",
        Resource.TAGS: f"v2/{endpoint.name}/tags/list",
        Resource.MANIFEST: f"v2/{endpoint.name}/manifests/{endpoint.argument}",
        Resource.BLOB: f"v2/{endpoint.name}/blobs/{endpoint.argument}",
        Resource.UPLOADS: f"v2/{endpoint.name}/blobs/uploads",
        Resource.UPLOAD: f"v2/{endpoint.name}/blobs/uploads/{endpoint.argument}",
        Resource.REFERRERS: f"v2/{endpoint.name}/referrers/{endpoint.argument}",
    }[endpoint.resource]
    assert rebuilt.rstrip("/") == path.strip("/")
    assert "/" not in endpoint.argument
