"""podman and buildah against `berth serve`, each with storage of its own under the test's
scratch directory (vfs driver, --root/--runroot, its own storage.conf and TMPDIR), as root."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.images import sha256, write_archive, write_image
from tests.e2e.support import Registry, run

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Storage:
    """Private containers/storage for one tool: flags and environment to pass it."""

    root: Path
    runroot: Path
    env: dict[str, str]

    @property
    def flags(self) -> list[str]:
        return ["--root", str(self.root), "--runroot", str(self.runroot), "--storage-driver", "vfs"]


def private_storage(directory: Path, short: Path) -> Storage:
    """Storage under `directory`; its runroot under `short` (podman takes at most 50 characters)."""
    root, runroot, tmp = directory / "root", short / "run", directory / "tmp"
    for path in (root, runroot, tmp):
        path.mkdir(parents=True)
    storage_conf = directory / "storage.conf"
    storage_conf.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root}"\nrunroot = "{runroot}"\n'
    )
    registries_conf = directory / "registries.conf"
    registries_conf.write_text("unqualified-search-registries = []\n")
    env = {
        "CONTAINERS_STORAGE_CONF": str(storage_conf),
        "CONTAINERS_REGISTRIES_CONF": str(registries_conf),
        "TMPDIR": str(tmp),
    }
    return Storage(root, runroot, env)


def podman(storage: Storage, *args: str | Path) -> str:
    tmp = storage.env["TMPDIR"]
    command = ["podman", *storage.flags, "--events-backend", "file", "--tmpdir", tmp, *args]
    return run(command, env=storage.env).stdout


def buildah(storage: Storage, *args: str | Path) -> str:
    return run(["buildah", *storage.flags, *args], env=storage.env).stdout


def test_podman_push_and_pull(
    registry: Registry, repository: str, scratch: Path, short_tmp: Path
) -> None:
    image = write_image(scratch / "src", "v1", layer_sizes=(70_000, 30_000))
    archive = write_archive(image.layout, scratch / "image.tar")
    storage = private_storage(scratch / "podman", short_tmp)
    loaded = podman(storage, "load", "--quiet", "--input", archive)
    assert "Loaded image" in loaded, loaded
    image_id = image.config.digest.split(":", 1)[1]
    pushed_reference = f"{registry.host}/{repository}:v1"
    digest_file = scratch / "pushed.digest"

    podman(
        storage,
        "push",
        "--quiet",
        "--tls-verify=false",
        "--digestfile",
        digest_file,
        image_id,
        f"docker://{pushed_reference}",
    )

    pushed_digest = digest_file.read_text().strip()
    head = registry.request("HEAD", f"/v2/{repository}/manifests/v1")
    assert head.status == 200
    assert head.headers["Docker-Content-Digest"] == pushed_digest
    manifest = registry.request("GET", f"/v2/{repository}/manifests/{pushed_digest}")
    assert manifest.status == 200
    assert sha256(manifest.body) == pushed_digest
    config_digest = manifest.json()["config"]["digest"]
    assert (
        registry.blob(repository, config_digest)
        == (image.layout / "blobs" / "sha256" / image_id).read_bytes()
    )

    podman(storage, "rmi", "--all", "--force")
    assert podman(storage, "images", "--quiet").strip() == ""
    pulled_id = podman(storage, "pull", "--quiet", "--tls-verify=false", pushed_reference).strip()

    assert pulled_id == image_id
    details = json.loads(podman(storage, "image", "inspect", pushed_reference))[0]
    assert details["Id"] == image_id
    assert details["Digest"] == pushed_digest
    # podman checked every layer's uncompressed digest against the config's diff_ids.
    assert details["RootFS"]["Layers"] == list(image.diff_ids)
    assert details["Architecture"] == "amd64"


def test_buildah_build_from_scratch_push_and_pull(
    registry: Registry, repository: str, scratch: Path, short_tmp: Path
) -> None:
    storage = private_storage(scratch / "buildah", short_tmp)
    payload = scratch / "payload.bin"
    payload.write_bytes(bytes(range(256)) * 1024 + b"berth")
    container = buildah(storage, "from", "scratch").strip()
    buildah(storage, "copy", container, payload, "/payload.bin")
    buildah(storage, "config", "--entrypoint", '["/payload.bin"]', container)
    image_id = buildah(storage, "commit", "--quiet", container, "localhost/berth-e2e:built").strip()
    buildah(storage, "rm", container)
    reference = f"{registry.host}/{repository}:built"
    digest_file = scratch / "pushed.digest"

    buildah(
        storage,
        "push",
        "--quiet",
        "--tls-verify=false",
        "--digestfile",
        digest_file,
        image_id,
        f"docker://{reference}",
    )

    pushed_digest = digest_file.read_text().strip()
    head = registry.request("HEAD", f"/v2/{repository}/manifests/built")
    assert head.status == 200
    assert head.headers["Docker-Content-Digest"] == pushed_digest

    buildah(storage, "rmi", "--all", "--force")
    pulled_id = buildah(storage, "pull", "--quiet", "--tls-verify=false", reference).strip()
    assert pulled_id == image_id
    working = buildah(storage, "from", "--pull-never", reference).strip()
    try:
        mountpoint = Path(buildah(storage, "mount", working).strip())
        assert (mountpoint / "payload.bin").read_bytes() == payload.read_bytes()
    finally:
        buildah(storage, "umount", working)
        buildah(storage, "rm", working)
