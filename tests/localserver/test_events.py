"""The REST proxy event the handler gets, and the response API Gateway makes of its answer."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from chalice.app import Request, Response

from berth.localserver.events import RouteTable, build_event, decode_response
from berth.localserver.messages import GatewayRequest
from tests.localserver.stubs import ROUTES


def _event(request: GatewayRequest) -> dict[str, Any]:
    route = RouteTable(ROUTES).match(request.path)
    assert route is not None
    return build_event(request, route, stage="local", request_id="req-1")


def test_event_has_the_rest_proxy_v1_shape() -> None:
    request = GatewayRequest(
        "PUT",
        "/v2/library/ubuntu/blobs/uploads/abc",
        "digest=sha256%3Aff&digest=sha256%3Aee&n=",
        (
            ("Host", "localhost:5000"),
            ("Content-Type", "application/octet-stream"),
            ("X-A", "1"),
            ("x-a", "2"),
        ),
        b"\x00\xffbytes",
        "10.1.2.3",
    )
    event = _event(request)

    assert event["httpMethod"] == "PUT"
    assert event["path"] == "/v2/library/ubuntu/blobs/uploads/abc"
    assert event["resource"] == "/v2/{p1}/{p2}/{p3}/{p4}/{p5}"
    assert event["pathParameters"] == {
        "p1": "library",
        "p2": "ubuntu",
        "p3": "blobs",
        "p4": "uploads",
        "p5": "abc",
    }
    assert event["multiValueQueryStringParameters"] == {
        "digest": ["sha256:ff", "sha256:ee"],
        "n": [""],
    }
    assert event["queryStringParameters"] == {"digest": "sha256:ee", "n": ""}
    assert event["headers"]["Content-Type"] == "application/octet-stream"
    assert event["multiValueHeaders"]["X-A"] == ["1"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xffbytes"
    context = event["requestContext"]
    assert context["resourcePath"] == event["resource"]
    assert context["httpMethod"] == "PUT"
    assert context["path"] == event["path"]
    assert context["requestId"] == "req-1"
    assert context["stage"] == "local"
    assert context["identity"]["sourceIp"] == "10.1.2.3"
    assert event["stageVariables"] is None
    assert event["headers"]["X-Forwarded-For"] == "10.1.2.3"
    assert event["headers"]["X-Forwarded-Proto"] == "http"


def test_chalice_reads_the_event_like_api_gateways() -> None:
    event = _event(GatewayRequest("PATCH", "/v2/a/b/blobs/uploads/x", "", (), b"\x01\x02"))
    request = Request(event)
    assert request.raw_body == b"\x01\x02"
    assert request.uri_params == {"p1": "a", "p2": "b", "p3": "blobs", "p4": "uploads", "p5": "x"}
    assert request.method == "PATCH"


def test_empty_body_and_query_are_null_as_in_api_gateway() -> None:
    event = _event(GatewayRequest("GET", "/v2/"))
    assert event["resource"] == "/v2"
    assert event["path"] == "/v2"  # API Gateway drops the trailing slash
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/v2", "/v2"),
        ("/v2/", "/v2"),
        ("/v2/_catalog", "/v2/{p1}"),
        (
            "/v2/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
            "/v2/" + "/".join(f"{{p{i}}}" for i in range(1, 17)),
        ),
        ("/v2/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", None),
        ("/v2//blobs", None),
        ("/other", None),
    ],
)
def test_routes_match_like_api_gateway(path: str, resource: str | None) -> None:
    match = RouteTable(ROUTES).match(path)
    assert (match.resource if match else None) == resource


def test_literal_routes_win_over_captures() -> None:
    table = RouteTable({"/v2/{p1}": ["GET"], "/v2/_catalog": ["GET"]})
    match = table.match("/v2/_catalog")
    assert match is not None and match.resource == "/v2/_catalog"


def test_path_parameters_are_percent_decoded() -> None:
    match = RouteTable(ROUTES).match("/v2/a%20b/manifests/sha256%3Aab")
    assert match is not None
    assert match.parameters == {"p1": "a b", "p2": "manifests", "p3": "sha256:ab"}


def test_response_binary_body_and_multi_value_headers_are_decoded() -> None:
    response = Response(
        body=b"\x00\x01",
        headers={"Content-Type": "application/octet-stream", "Link": ["<a>", "<b>"]},
        status_code=206,
    ).to_dict(["application/octet-stream"])
    decoded = decode_response(response)
    assert decoded.status == 206
    assert decoded.body == b"\x00\x01"
    assert ("Link", "<a>") in decoded.headers and ("Link", "<b>") in decoded.headers
    assert decoded.header("content-type") == "application/octet-stream"


def test_response_text_body_is_utf8() -> None:
    decoded = decode_response(Response(body='{"é":1}', status_code=200).to_dict([]))
    assert decoded.body == '{"é":1}'.encode()
