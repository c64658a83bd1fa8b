"""`GET /v2/` (end-1), and the binary-type setting that API Gateway depends on."""

from __future__ import annotations

import json
from typing import Any

from tests.api.helpers import assert_ok


def test_base_get_answers_200(client: Any) -> None:
    """GET /v2/ answers 200.

    Spec: "To check whether or not the registry implements this specification, perform a
    `GET` request to the following endpoint: `/v2/`. If the response is `200 OK`, then the
    registry implements this specification."
    """
    response = client.http.get("/v2/")
    assert_ok(response, 200)


def test_base_get_without_trailing_slash_answers_200(client: Any) -> None:
    """GET /v2 (API Gateway drops the trailing slash) answers like /v2/.

    Spec: "If the response is `200 OK`, then the registry implements this specification."
    """
    response = client.http.get("/v2")
    assert_ok(response, 200)


def test_base_head_answers_200_without_body(client: Any) -> None:
    """HEAD /v2/ is GET without content (RFC 9110 section 9.3.2).

    Spec: "Where this specification does not define specific behavior, implementations SHOULD
    follow the HTTP semantics defined in RFC 9110"
    """
    response = client.http.head("/v2/")
    assert_ok(response, 200)
    assert response.body == b""


def test_base_body_is_a_json_object(client: Any) -> None:
    """The base endpoint's body is a JSON object, as the CNCF registry's `{}`.

    Spec: "If the response is `200 OK`, then the registry implements this specification."
    """
    response = client.http.get("/v2/")
    assert_ok(response, 200)
    assert isinstance(json.loads(response.body), dict)


def test_binary_types_is_exactly_octet_stream() -> None:
    """Only octet-stream bodies (blob chunks) are binary for API Gateway.

    design.md: "Do not add `*/*` or the manifest media types to `app.api.binary_types`:
    requests without an `Accept` header (skopeo sends none on blob HEAD/GET) then get 400 from
    API Gateway. [...] pin `binary_types` in a unit test."
    """
    from app import app

    assert app.api.binary_types == ["application/octet-stream"]


def test_binary_types_excludes_wildcards_and_manifest_types() -> None:
    """No wildcard, JSON or manifest media type is a binary type.

    design.md: "Do not add `*/*` or the manifest media types to `app.api.binary_types`"
    """
    from app import app

    forbidden = {
        "*/*",
        "application/*",
        "application/json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
    assert not forbidden & set(app.api.binary_types)
