"""An S3 or DynamoDB error injected at each step of an upload and of a manifest PUT leaves
no visible half-state, and the client's retry of the failed request succeeds."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.faults import injected

MiB = 1024 * 1024
OCTET = {"Content-Type": "application/octet-stream"}


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _blob_bytes(client: Any, s3: Any, repo: str, digest: str) -> bytes | None:
    response = client.http.get(f"/v2/{repo}/blobs/{digest}")
    if response.status_code == 404:
        return None
    assert response.status_code == 307, response.body
    path = response.headers["Location"].split("?", 1)[0].split(".amazonaws.com/", 1)[1]
    bucket = s3.list_buckets()["Buckets"][0]["Name"]
    data: bytes = s3.get_object(Bucket=bucket, Key=path)["Body"].read()
    return data


Step = Callable[[Any, dict[str, str]], Any]


def _chunked_upload_steps(repo: str, data: bytes) -> list[Step]:
    """POST, PATCH a full part, PATCH a small chunk, PUT the last chunk with the digest."""
    first, second = 6 * MiB, 6 * MiB + 1024 * 1024

    def post(client: Any, state: dict[str, str]) -> Any:
        response = client.http.post(f"/v2/{repo}/blobs/uploads/")
        if response.status_code == 202:
            state["location"] = response.headers["Location"]
        return response

    def patch(start: int, end: int) -> Step:
        def step(client: Any, state: dict[str, str]) -> Any:
            headers = {**OCTET, "Content-Range": f"{start}-{end - 1}"}
            return client.http.patch(state["location"], body=data[start:end], headers=headers)

        return step

    def put(client: Any, state: dict[str, str]) -> Any:
        url = f"{state['location']}?digest={_digest(data)}"
        headers = {**OCTET, "Content-Range": f"{second}-{len(data) - 1}"}
        return client.http.put(url, body=data[second:], headers=headers)

    return [post, patch(0, first), patch(first, second), put]


def _run(client: Any, steps: list[Step], state: dict[str, str]) -> list[int]:
    return [step(client, state).status_code for step in steps]


def _fresh_data() -> bytes:
    """7 MiB and a little, unique, so no earlier push of the same blob shortens the path."""
    return uuid.uuid4().bytes * (7 * MiB // 16 + 32)


def test_chunked_upload_survives_a_fault_at_every_call(client: Any, s3: Any) -> None:
    # A first upload fills the instance's caches (the first request of a process makes a
    # Query the next ones do not): counted cold, the last fault would land on no call.
    _run(client, _chunked_upload_steps(f"faults/{uuid.uuid4().hex}", _fresh_data()), {})
    data = _fresh_data()
    with injected() as clean:
        statuses = _run(client, _chunked_upload_steps(f"faults/{uuid.uuid4().hex}", data), {})
    assert statuses == [202, 202, 202, 201]
    total = len(clean.calls)
    assert total >= 10, clean.calls

    for fail_at in range(total):
        repo = f"faults/{uuid.uuid4().hex}"
        data = _fresh_data()
        digest = _digest(data)
        state: dict[str, str] = {}
        with injected(fail_at) as faults:
            for step in _chunked_upload_steps(repo, data):
                response = step(client, state)
                if response.status_code >= 500:
                    assert response.status_code == 503, (faults.failed, response.body)
                    assert json.loads(response.body)["errors"][0]["code"] == "UNAVAILABLE"
                    # Nothing visible: the blob is not readable until a PUT succeeds.
                    assert client.http.head(f"/v2/{repo}/blobs/{digest}").status_code == 404
                    response = step(client, state)  # the client's retry
                assert response.status_code in (201, 202), (faults.failed, response.body)
        assert faults.failed is not None
        assert _blob_bytes(client, s3, repo, digest) == data, f"fault at {faults.failed}"


def test_monolithic_push_survives_a_fault_at_every_call(client: Any, s3: Any) -> None:
    data = uuid.uuid4().bytes * 100
    digest = _digest(data)
    with injected() as clean:
        response = client.http.post(
            f"/v2/faults/{uuid.uuid4().hex}/blobs/uploads/?digest={digest}",
            body=data,
            headers=OCTET,
        )
    assert response.status_code == 201
    for fail_at in range(len(clean.calls)):
        repo = f"faults/{uuid.uuid4().hex}"
        data = uuid.uuid4().bytes * 100
        digest = _digest(data)
        url = f"/v2/{repo}/blobs/uploads/?digest={digest}"
        with injected(fail_at) as faults:
            response = client.http.post(url, body=data, headers=OCTET)
        assert response.status_code == 503, faults.failed
        assert client.http.head(f"/v2/{repo}/blobs/{digest}").status_code == 404
        assert client.http.post(url, body=data, headers=OCTET).status_code == 201
        assert _blob_bytes(client, s3, repo, digest) == data


def _push_blob(client: Any, repo: str, data: bytes) -> dict[str, Any]:
    digest = _digest(data)
    response = client.http.post(
        f"/v2/{repo}/blobs/uploads/?digest={digest}", body=data, headers=OCTET
    )
    assert response.status_code == 201, response.body
    return {"digest": digest, "size": len(data)}


@pytest.mark.parametrize("with_subject", [False, True])
def test_manifest_put_survives_a_fault_at_every_call(client: Any, with_subject: bool) -> None:
    def prepare(repo: str) -> tuple[bytes, str]:
        config = _push_blob(client, repo, b"{}")
        layer = _push_blob(client, repo, uuid.uuid4().bytes * 10)
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}],
        }
        if with_subject:
            manifest["subject"] = {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": _digest(b"subject"),
                "size": 7,
            }
        body = json.dumps(manifest).encode()
        return body, _digest(body)

    headers = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
    repo = f"faults/{uuid.uuid4().hex}"
    body, _ = prepare(repo)
    with injected() as clean:
        assert (
            client.http.put(f"/v2/{repo}/manifests/v1", body=body, headers=headers).status_code
            == 201
        )
    for fail_at in range(len(clean.calls)):
        repo = f"faults/{uuid.uuid4().hex}"
        body, digest = prepare(repo)
        with injected(fail_at) as faults:
            response = client.http.put(f"/v2/{repo}/manifests/v1", body=body, headers=headers)
        assert response.status_code == 503, faults.failed
        # All or nothing: neither the manifest, nor the tag, nor a referrer is visible.
        assert client.http.get(f"/v2/{repo}/manifests/{digest}").status_code == 404
        assert client.http.get(f"/v2/{repo}/manifests/v1").status_code == 404
        tags = json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"]
        assert tags == []
        if with_subject:
            referrers = client.http.get(f"/v2/{repo}/referrers/{_digest(b'subject')}")
            assert json.loads(referrers.body)["manifests"] == []
        retry = client.http.put(f"/v2/{repo}/manifests/v1", body=body, headers=headers)
        assert retry.status_code == 201, faults.failed
        pulled = client.http.get(f"/v2/{repo}/manifests/v1")
        assert pulled.status_code == 200 and pulled.body == body
