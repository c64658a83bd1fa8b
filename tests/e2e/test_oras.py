"""oras (the PyPI SDK; PyPI has no oras CLI) pushing an artifact whose subject is an image
skopeo pushed, then the referrers API listing it and the artifact pulled back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import oras.client
import oras.oci
import pytest

from tests.e2e.images import OCI_INDEX, OCI_MANIFEST, sha256, write_image
from tests.e2e.support import Registry, skopeo_push

pytestmark = pytest.mark.e2e

ARTIFACT_TYPE = "application/vnd.berth.e2e.sbom"
FILE_MEDIA_TYPE = "application/vnd.berth.e2e.sbom.v1+json"
ANNOTATIONS = {"org.opencontainers.image.description": "e2e sbom", "org.berth.e2e": "yes"}


def test_oras_artifact_with_subject_is_listed_by_referrers(
    registry: Registry, repository: str, scratch: Path
) -> None:
    image = write_image(scratch / "src", "v1")
    skopeo_push(image.reference, registry.docker(repository, "v1"))
    payload = scratch / "sbom.json"
    payload.write_bytes(
        b'{"packages": ["berth"], "nonce": "' + image.config.digest.encode() + b'"}'
    )
    client = oras.client.OrasClient(hostname=registry.host, insecure=True)
    subject = oras.oci.Subject(
        mediaType=OCI_MANIFEST, digest=image.manifest.digest, size=image.manifest.size
    )
    # No config file: oras pushes the empty config `{}` with this media type, which the
    # referrers API must report as the artifactType (the manifest has no artifactType field).
    no_config = scratch / "no-config"

    pushed = client.push(
        target=f"{registry.host}/{repository}:sbom",
        files=[f"{payload}:{FILE_MEDIA_TYPE}"],
        manifest_annotations=ANNOTATIONS,
        manifest_config=f"{no_config}:{ARTIFACT_TYPE}",
        subject=subject,  # the SDK types it str but wants an oras.oci.Subject
        disable_path_validation=True,
    )

    assert pushed.status_code == 201
    artifact_digest = pushed.headers["Docker-Content-Digest"]
    assert pushed.headers.get("OCI-Subject") == image.manifest.digest
    artifact = registry.request(
        "GET", f"/v2/{repository}/manifests/{artifact_digest}", headers={"Accept": OCI_MANIFEST}
    )
    assert artifact.status == 200
    assert sha256(artifact.body) == artifact_digest
    assert artifact.json()["subject"]["digest"] == image.manifest.digest

    referrers = registry.request("GET", f"/v2/{repository}/referrers/{image.manifest.digest}")

    assert referrers.status == 200, referrers.body
    assert referrers.headers["Content-Type"] == OCI_INDEX
    listing = referrers.json()
    assert listing["schemaVersion"] == 2
    assert listing["mediaType"] == OCI_INDEX
    entries: list[dict[str, Any]] = listing["manifests"]
    assert entries == [
        {
            "mediaType": OCI_MANIFEST,
            "digest": artifact_digest,
            "size": len(artifact.body),
            "artifactType": ARTIFACT_TYPE,
            "annotations": ANNOTATIONS,
        }
    ]

    pulled_dir = scratch / "pulled"
    pulled = client.pull(
        target=f"{registry.host}/{repository}@{artifact_digest}", outdir=pulled_dir
    )
    assert [Path(path).name for path in pulled] == ["sbom.json"]
    assert Path(pulled[0]).read_bytes() == payload.read_bytes()
    layer = artifact.json()["layers"][0]
    assert layer["mediaType"] == FILE_MEDIA_TYPE
    assert registry.blob(repository, layer["digest"]) == payload.read_bytes()
    # The subject itself is unchanged, and a digest nothing refers to has an empty list.
    head = registry.request("HEAD", f"/v2/{repository}/manifests/v1")
    assert head.headers["Docker-Content-Digest"] == image.manifest.digest
    none = registry.request("GET", f"/v2/{repository}/referrers/{artifact_digest}")
    assert none.status == 200
    assert none.json()["manifests"] == []
