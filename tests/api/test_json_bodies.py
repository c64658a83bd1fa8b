"""Every JSON body an endpoint reads (settings, lifecycle policy, admin changes, direct
uploads, manifests) is size-capped first and parsed without recursing into deep nesting:
a body nested thousands of levels deep is a 400 with an OCI error, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import OCI_MANIFEST, assert_error, put_manifest

# Each under the smallest size cap (64 KiB), each far past the parser's recursion limit.
DEEP = {
    "arrays": b"[" * 30_000 + b"]" * 30_000,
    "objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "unclosed": b'{"rules": ' + b"[" * 50_000,
    "in-a-field": b'{"digest": "sha256:' + b"a" * 64 + b'", "size": ' + b"[" * 30_000 + b"}",
}

# (method, path under /v2/<repo>/ or absolute, OCI codes a refusal may carry)
ENDPOINTS = [
    ("PUT", "_berth/settings", ("UNSUPPORTED",)),
    ("PUT", "_berth/lifecycle", ("UNSUPPORTED",)),
    ("POST", "/v2/_berth/admin/users", ("UNSUPPORTED",)),
    ("POST", "_berth/s3-uploads", ("BLOB_UPLOAD_INVALID",)),
    ("POST", "_berth/s3-uploads/" + "0" * 32, ("BLOB_UPLOAD_INVALID",)),
    ("POST", "_berth/s3-uploads/" + "0" * 32 + "/parts", ("BLOB_UPLOAD_INVALID",)),
]


def _path(repo: str, where: str) -> str:
    return where if where.startswith("/") else f"/v2/{repo}/{where}"


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
@pytest.mark.parametrize(("method", "where", "codes"), ENDPOINTS, ids=lambda v: str(v))
def test_deeply_nested_body_is_a_400(
    client: Any, repo: str, method: str, where: str, codes: tuple[str, ...], body: bytes
) -> None:
    response = client.http.request(
        method, _path(repo, where), headers={"Content-Type": "application/json"}, body=body
    )
    assert len(body) < 64 * 1024
    assert_error(response, 400, *codes)


@pytest.mark.parametrize(("method", "where", "codes"), ENDPOINTS, ids=lambda v: str(v))
def test_oversized_body_is_a_413(
    client: Any, repo: str, method: str, where: str, codes: tuple[str, ...]
) -> None:
    body = b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    response = client.http.request(
        method, _path(repo, where), headers={"Content-Type": "application/json"}, body=body
    )
    assert_error(response, 413, "SIZE_INVALID")


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
def test_deeply_nested_manifest_is_manifest_invalid(client: Any, repo: str, body: bytes) -> None:
    assert_error(put_manifest(client, repo, "v1", body, OCI_MANIFEST), 400, "MANIFEST_INVALID")
