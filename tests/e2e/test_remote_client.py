"""The runtime's remote-registry client (chalicelib/remote/) against `berth serve --auth`:
the Bearer challenge answered through the token realm with Basic credentials, a blob sent
monolithic and one in PATCHed chunks (from iterators, as S3 hands them), a cross-repository
mount, a manifest and a referrer PUT, HEAD and GET, and the referrers listing."""

from __future__ import annotations

import hashlib
import json

import pytest

from chalicelib.remote import blobs, manifests, referrers, uploads
from chalicelib.remote.basic_credentials import Credentials
from chalicelib.remote.session import RemoteRegistry
from tests.e2e.support import Registry, new_repository

pytestmark = pytest.mark.e2e

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest(data), "size": len(data)}


def test_push_mount_and_referrers_with_token_auth(secured: tuple[Registry, str]) -> None:
    server, password = secured
    remote = RemoteRegistry(f"http://{server.host}", Credentials("admin", password))
    repository, other = new_repository("remote"), new_repository("remote-mount")
    remote.want(f"repository:{repository}:pull,push", f"repository:{other}:pull,push")
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    small = b"small layer " * 1000
    large = bytes(range(256)) * 48 * 1024  # 12 MiB: two 5 MiB chunks and a rest
    chunks = [large[i : i + (5 << 20)] for i in range(0, len(large), 5 << 20)]

    assert not blobs.has(remote, repository, digest(small))
    uploads.monolithic(remote, repository, digest(config), len(config), iter([config]))
    uploads.monolithic(remote, repository, digest(small), len(small), iter([small[:5], small[5:]]))
    uploads.chunked(remote, repository, digest(large), iter(chunks))
    for data in (config, small, large):  # the registry checked each digest on closing
        assert blobs.has(remote, repository, digest(data))

    mounted = blobs.mount(remote, other, digest(large), repository)
    assert mounted.mounted and blobs.has(remote, other, digest(large))

    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [
                descriptor("application/vnd.oci.image.layer.v1.tar", small),
                descriptor("application/vnd.oci.image.layer.v1.tar", large),
            ],
        }
    ).encode()
    assert manifests.put(remote, repository, "v1", body, OCI_MANIFEST) == digest(body)
    assert manifests.head(remote, repository, "v1") == digest(body)
    got = manifests.get(remote, repository, digest(body))
    assert got is not None and got.body == body
    assert manifests.head(remote, repository, "missing") is None

    empty = b"{}"
    uploads.monolithic(remote, repository, digest(empty), 2, iter([empty]))
    signature = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.signature",
            "config": descriptor("application/vnd.oci.empty.v1+json", empty),
            "layers": [descriptor("application/vnd.oci.empty.v1+json", empty)],
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest(body), "size": len(body)},
        }
    ).encode()
    manifests.put(remote, repository, digest(signature), signature, OCI_MANIFEST)
    listed = referrers.listing(remote, repository, digest(body))
    assert [d["digest"] for d in listed] == [digest(signature)]
    assert manifests.delete(remote, repository, digest(signature))
    remote.close()
