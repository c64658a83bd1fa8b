"""A signing policy in `enforce` against real clients: skopeo and podman are refused an
unsigned image with the registry's reason, and pull it once a trusted key's cosign v3 bundle is
pushed as a referrer (made here with `cryptography`, in the bundle's published layout)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.images import OCI_MANIFEST, sha256, write_image
from tests.e2e.support import Registry, run, skopeo_push
from tests.e2e.test_podman import private_storage
from tests.signing.pki import b64, pae, pem, sign_der, statement

pytestmark = pytest.mark.e2e

BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY = "application/vnd.oci.empty.v1+json"
IN_TOTO = "application/vnd.in-toto+json"


def _push_blob(registry: Registry, repository: str, data: bytes) -> dict[str, object]:
    digest = sha256(data)
    answer = registry.request(
        "POST",
        f"/v2/{repository}/blobs/uploads/?digest={digest}",
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        body=data,
    )
    assert answer.status == 201, answer.body
    return {"digest": digest, "size": len(data)}


def _push_bundle(
    registry: Registry, repository: str, key: ec.EllipticCurvePrivateKey, subject: str, size: int
) -> None:
    payload = statement(subject)
    bundle = json.dumps(
        {
            "mediaType": BUNDLE,
            "verificationMaterial": {"publicKey": {"hint": "release"}},
            "dsseEnvelope": {
                "payload": b64(payload),
                "payloadType": IN_TOTO,
                "signatures": [{"sig": b64(sign_der(key, pae(IN_TOTO, payload))), "keyid": ""}],
            },
        }
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE,
        "config": {"mediaType": EMPTY, **_push_blob(registry, repository, b"{}")},
        "layers": [{"mediaType": BUNDLE, **_push_blob(registry, repository, bundle)}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": size},
    }
    body = json.dumps(manifest).encode()
    answer = registry.request(
        "PUT",
        f"/v2/{repository}/manifests/{sha256(body)}",
        headers={"Content-Type": OCI_MANIFEST},
        body=body,
    )
    assert answer.status == 201, answer.body


def test_enforce_refuses_skopeo_and_podman_until_signed(
    registry: Registry, scratch: Path, short_tmp: Path
) -> None:
    repository = f"signed/{uuid.uuid4().hex[:12]}"
    image = write_image(scratch / "src", "v1")
    skopeo_push(image.reference, registry.docker(repository, "v1"))
    key = ec.generate_private_key(ec.SECP256R1())
    policy = {
        "rules": [{"repositories": repository, "mode": "enforce", "keys": [pem(key).decode()]}]
    }
    answer = registry.request(
        "PUT",
        "/v2/_berth/signing/policy",
        headers={"Content-Type": "application/json"},
        body=json.dumps(policy).encode(),
    )
    assert answer.status == 200, answer.body
    try:
        source = registry.docker(repository, "v1")
        refused = run(
            ["skopeo", "copy", "--src-tls-verify=false", source, f"oci:{scratch / 'out'}:v1"],
            check=False,
        )
        assert refused.returncode != 0
        assert "not signed by a key or certificate the signing policy" in refused.stderr
        storage = private_storage(scratch / "podman", short_tmp)
        command = [
            "podman",
            *storage.flags,
            "--events-backend",
            "file",
            "--tmpdir",
            storage.env["TMPDIR"],
            "pull",
            "--tls-verify=false",
            f"{registry.host}/{repository}:v1",
        ]
        pulled = run(command, env=storage.env, check=False)
        assert pulled.returncode != 0 and "not signed" in pulled.stderr, pulled.stderr

        _push_bundle(registry, repository, key, image.manifest.digest, image.manifest.size)
        run(["skopeo", "copy", "--src-tls-verify=false", source, f"oci:{scratch / 'out'}:v1"])
        run(command, env=storage.env)
    finally:
        registry.request(
            "PUT",
            "/v2/_berth/signing/policy",
            headers={"Content-Type": "application/json"},
            body=b'{"rules": []}',
        )


def _berth(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "berth.cli", *args], check=check)


@pytest.mark.parametrize("form", ["cosign", "cosign-legacy"])
def test_berth_sign_then_verify_then_pull(registry: Registry, scratch: Path, form: str) -> None:
    repository = f"signed/{uuid.uuid4().hex[:12]}"
    image = write_image(scratch / "src", "v1")
    skopeo_push(image.reference, registry.docker(repository, "v1"))
    key = ec.generate_private_key(ec.SECP256R1())
    (scratch / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (scratch / "key.pub").write_bytes(pem(key))
    where = ["--registry", f"http://{registry.host}"]
    _berth(
        "signing",
        "trust",
        repository,
        "--mode",
        "enforce",
        "--key",
        str(scratch / "key.pub"),
        *where,
    )
    try:
        unsigned = _berth("verify", f"{repository}:v1", *where, check=False)
        assert unsigned.returncode == 1 and "not signed" in unsigned.stdout
        signed = _berth(
            "sign",
            f"{registry.host}/{repository}:v1",
            "--key",
            str(scratch / "key.pem"),
            "--format",
            form,
        )
        assert f"signed {repository}@{image.manifest.digest}" in signed.stdout
        verified = _berth("verify", f"{repository}:v1", *where)
        assert "signed by: sha256:" in verified.stdout
        run(
            [
                "skopeo",
                "copy",
                "--src-tls-verify=false",
                registry.docker(repository, "v1"),
                f"oci:{scratch / 'out'}:v1",
            ]
        )
    finally:
        _berth("signing", "untrust", repository, *where)
