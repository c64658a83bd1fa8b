"""Both front doors reach every route with the same statuses, headers and bodies.

API Gateway's REST proxy (format 1.0) and a Lambda Function URL (format 2.0) call the same
function (`app.app`); chalicelib/api/front_door.py reads the second itself and calls the
same dispatcher as the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.api.front_door import route_of, to_url_result
from chalicelib.api.router import MAX_DEPTH, METHODS
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import auth_on, user
from tests.deploy.doors import DOORS, Answer, url_event

__all__ = ["auth_on"]  # a fixture

Door = Callable[..., Answer]
OCTET = "application/octet-stream"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def app(aws: dict[str, str]) -> Iterator[Any]:
    from app import app as chalice_app

    yield chalice_app


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _path(location: str | None) -> tuple[str, str]:
    assert location and location.startswith("/v2/"), location  # relative: right behind both
    path, _, query = location.partition("?")
    return path, query


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_push_and_pull_through_each_door(app: Any, door: str) -> None:
    send: Door = DOORS[door]
    repo = f"door/{door}/{uuid.uuid4().hex[:8]}"

    base = send(app, "GET", "/v2/")
    assert base.status == 200
    assert base.header("Docker-Distribution-API-Version") == "registry/2.0"

    # A layer in one binary PATCH (not UTF-8: it must survive base64 both ways).
    layer = bytes(range(256)) + os.urandom(4096)
    started = send(app, "POST", f"/v2/{repo}/blobs/uploads/", headers=(("Content-Length", "0"),))
    assert started.status == 202
    upload, _ = _path(started.header("Location"))
    patched = send(
        app,
        "PATCH",
        upload,
        headers=(("Content-Type", OCTET), ("Content-Length", str(len(layer)))),
        body=layer,
    )
    assert patched.status == 202, patched.body
    assert patched.header("Range") == f"0-{len(layer) - 1}"
    assert send(app, "GET", upload).status == 204
    done = send(
        app, "PUT", upload, query=f"digest={_digest(layer)}", headers=(("Content-Type", OCTET),)
    )
    assert done.status == 201, done.body
    assert done.header("Location") == f"/v2/{repo}/blobs/{_digest(layer)}"
    assert done.header("Docker-Content-Digest") == _digest(layer)

    # A monolithic config push, then a manifest with two tags (repeated query parameter).
    config = b"{}"
    mono = send(
        app,
        "POST",
        f"/v2/{repo}/blobs/uploads/",
        query=f"digest={_digest(config)}",
        headers=(("Content-Type", OCTET), ("Content-Length", "2")),
        body=config,
    )
    assert mono.status == 201, mono.body
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.empty.v1+json",
                "digest": _digest(config),
                "size": 2,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": _digest(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    digest = _digest(manifest)
    put = send(
        app,
        "PUT",
        f"/v2/{repo}/manifests/{digest}",
        query="tag=one&tag=two",
        headers=(("Content-Type", OCI_MANIFEST),),
        body=manifest,
    )
    assert put.status == 201, put.body
    assert put.header("Location") == f"/v2/{repo}/manifests/{digest}"
    assert sorted(v.strip() for v in (put.header("OCI-Tag") or "").split(",")) == ["one", "two"]

    got = send(app, "GET", f"/v2/{repo}/manifests/one", headers=(("Accept", OCI_MANIFEST),))
    assert (got.status, got.body) == (200, manifest)
    assert got.header("Content-Type") == OCI_MANIFEST
    assert got.header("Docker-Content-Digest") == digest
    head = send(app, "HEAD", f"/v2/{repo}/manifests/{digest}")
    assert (head.status, head.body, head.header("Content-Length")) == (200, b"", str(len(manifest)))

    blob = send(app, "GET", f"/v2/{repo}/blobs/{_digest(layer)}")
    assert blob.status == 307
    assert (blob.header("Location") or "").startswith("https://")  # presigned S3
    assert send(app, "HEAD", f"/v2/{repo}/blobs/{_digest(layer)}").header("Content-Length") == str(
        len(layer)
    )

    tags = send(app, "GET", f"/v2/{repo}/tags/list", query="n=1")
    assert (tags.status, json.loads(tags.body)) == (200, {"name": repo, "tags": ["one"]})
    link = tags.header("Link") or ""
    assert link.startswith(f"</v2/{repo}/tags/list?") and link.endswith('>; rel="next"')
    assert send(app, "GET", "/v2/_catalog", query="n=1").status == 200
    referrers = send(app, "GET", f"/v2/{repo}/referrers/{digest}")
    assert referrers.status == 200 and json.loads(referrers.body)["manifests"] == []

    cancelled = send(app, "POST", f"/v2/{repo}/blobs/uploads/", headers=(("Content-Length", "0"),))
    assert send(app, "DELETE", _path(cancelled.header("Location"))[0]).status == 204
    assert send(app, "DELETE", f"/v2/{repo}/manifests/{digest}").status == 202
    assert send(app, "DELETE", f"/v2/{repo}/blobs/{_digest(layer)}").status == 202
    missing = send(app, "GET", f"/v2/{repo}/manifests/one")
    assert missing.status == 404
    assert json.loads(missing.body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def _paths() -> list[str]:
    paths = ["/v2", "/v2/"]
    for depth in range(1, MAX_DEPTH + 1):
        paths.append("/v2/" + "/".join(f"s{i}" for i in range(depth)))
    paths[-1] += "/"  # a trailing slash on the deepest route
    return paths


@pytest.mark.parametrize("path", _paths())
def test_every_route_answers_the_same_behind_both_doors(app: Any, path: str) -> None:
    for method in METHODS:
        behind_rest = DOORS["rest"](app, method, path)
        behind_url = DOORS["url"](app, method, path)
        assert behind_rest.status == behind_url.status, (method, path)
        assert behind_rest.body == behind_url.body, (method, path)
        for name in ("content-type", "allow", "docker-distribution-api-version"):
            assert behind_rest.header(name) == behind_url.header(name), (method, path, name)


def test_outside_the_routes() -> None:
    assert route_of("/") is None and route_of("/v3/x") is None and route_of("/v2//x") is None
    assert route_of("/v2/" + "/".join(["a"] * (MAX_DEPTH + 1))) is None
    assert route_of("/v2/a/manifests/sha256%3Aab") == (
        "/v2/{p1}/{p2}/{p3}",
        {"p1": "a", "p2": "manifests", "p3": "sha256:ab"},
    )


def test_a_path_outside_v2_gets_an_oci_404(app: Any) -> None:
    answer = DOORS["url"](app, "GET", "/favicon.ico")
    assert answer.status == 404
    assert json.loads(answer.body)["errors"][0]["code"] == "UNSUPPORTED"


def test_multi_value_headers_and_cookies_in_format_2() -> None:
    result = to_url_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain"},
            "multiValueHeaders": {"OCI-Tag": ["a", "b"], "Set-Cookie": ["x=1", "y=2"]},
            "body": "hi",
        }
    )
    assert result == {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "OCI-Tag": "a, b"},
        "body": "hi",
        "isBase64Encoded": False,
        "cookies": ["x=1", "y=2"],
    }


def test_query_repeats_and_cookies_reach_the_request() -> None:
    from chalicelib.api.front_door import request_of

    event = url_event("GET", "/v2/a/tags/list", "n=1&n=2&last=", (("Cookie", "a=1; b=2"),))
    request = request_of(event, "/v2/{p1}/{p2}/{p3}", {"p1": "a", "p2": "tags", "p3": "list"})
    assert request.query == {"n": ["1", "2"], "last": [""]}
    assert request.headers["cookie"] == "a=1; b=2"
    assert request.source_ip == "198.51.100.7"
    assert request.path == "/v2/a/tags/list"


def test_behind_a_custom_domain_the_realm_and_locations_are_at_its_root(
    app: Any, auth_on: None
) -> None:
    """`berth deploy --domain registry.example.com`: API Gateway's custom domain, mapped at the
    root (no stage in the path), sends the client's Host and X-Forwarded-Proto https."""
    front = (("Host", "registry.example.com"), ("X-Forwarded-Proto", "https"))
    challenge = DOORS["rest"](app, "GET", "/v2/", headers=front)
    assert challenge.status == 401
    assert challenge.header("WWW-Authenticate") == (
        'Bearer realm="https://registry.example.com/token",service="berth"'
    )
    pusher = user("writer", [("domain/*", Level.PUSH)])
    repo = f"domain/{uuid.uuid4().hex[:8]}"
    login = (*front, *pusher.basic().items())
    scope = f"service=berth&scope=repository:{repo}:pull,push"
    issued = DOORS["rest"](app, "GET", "/token", query=scope, headers=login)
    assert issued.status == 200, issued.body
    bearer = (*front, ("Authorization", f"Bearer {json.loads(issued.body)['token']}"))
    started = DOORS["rest"](
        app, "POST", f"/v2/{repo}/blobs/uploads/", headers=(*bearer, ("Content-Length", "0"))
    )
    assert started.status == 202, started.body
    upload, _ = _path(started.header("Location"))  # relative: https://registry.example.com/v2/…
    config = b"{}"
    done = DOORS["rest"](
        app,
        "PUT",
        upload,
        query=f"digest={_digest(config)}",
        headers=(*bearer, ("Content-Type", OCTET)),
        body=config,
    )
    assert done.status == 201, done.body
    assert done.header("Location") == f"/v2/{repo}/blobs/{_digest(config)}"
