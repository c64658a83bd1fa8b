"""`berth proxy` end to end (issue 18): stock skopeo, podman and buildah push images whose
layers are far above the Lambda request limit through the proxy to `berth serve
--lambda-limits --auth`, with the admin's credentials given to the client only, and pull
them back through it; without the proxy the same push is refused with a message that names
the way out. Layers are seeded random bytes streamed to disk, so every run pushes the same
content and nothing large is held in memory."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from berth.localserver import spawn
from tests.e2e.images import blob_path, layout_manifest, write_large_image
from tests.e2e.support import Registry, new_repository, run
from tests.e2e.test_podman import Storage, buildah, podman, private_storage

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
_LISTENING = re.compile(r"berth proxy: listening on (http://\S+),")


@dataclass(frozen=True)
class ProxyProcess:
    url: str
    log: Path

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def log_records(self) -> list[dict[str, object]]:
        records = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, str]]:
    """`berth serve --lambda-limits --auth`: as AWS, at most ~4.4 MiB of body per request."""
    directory = tmp_path_factory.mktemp("berth-serve-proxied")
    log = directory / "berth-serve.log"
    try:
        with (
            log.open("wb") as stderr,
            spawn(stderr=stderr, lambda_limits=True, auth=True) as server,
        ):
            match = re.search(r"log in as admin with password (\S+) \(shown once\)", server.line)
            assert match, server.line
            yield Registry(server, log), match.group(1)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def proxy(
    limited: tuple[Registry, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    """`berth proxy --registry URL --port 0` as a CI job starts it; its first stdout line
    says where it listens. It holds no credentials: every client gives its own."""
    registry, _ = limited
    directory = tmp_path_factory.mktemp("berth-proxy")
    log = directory / "berth-proxy.log"
    command = [sys.executable, "-m", "berth.cli", "proxy", "--stop-on-eof", "--port", "0"]
    command += ["--registry", f"http://{registry.host}"]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
    assert process.stdout is not None and process.stdin is not None
    try:
        line = process.stdout.readline().decode()
        match = _LISTENING.search(line)
        assert match, f"no startup line: {line!r}\n{log.read_text()[-3000:]}"
        yield ProxyProcess(match.group(1), log)
    finally:
        process.stdin.close()
        status = process.wait(timeout=60)
        process.stdout.close()
    errors = [r for r in ProxyProcess("", log).log_records() if r.get("level") == "error"]
    assert status == 0, log.read_text()[-4000:]
    assert not errors, errors
    shutil.rmtree(directory, ignore_errors=True)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while piece := file.read(MiB):
            digest.update(piece)
    return "sha256:" + digest.hexdigest()


def _pushed_through(proxy: ProxyProcess, digest: str) -> bool:
    return any(
        r.get("message") == "blob pushed" and r.get("digest") == digest for r in proxy.log_records()
    )


def test_skopeo_without_the_proxy_is_told_to_use_berth_push_and_with_it_pushes_64_mib(
    limited: tuple[Registry, str], proxy: ProxyProcess, scratch: Path
) -> None:
    registry, password = limited
    creds = f"admin:{password}"
    image = write_large_image(scratch / "src", "v1", 64 * MiB, seed=1)
    repository = new_repository("proxy")

    direct = run(
        ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", creds,
         image.reference, f"docker://{registry.host}/{repository}:v1"],
        check=False,
    )  # fmt: skip
    assert direct.returncode != 0
    assert "size invalid" in direct.stderr, direct.stderr[-2000:]
    assert "push large layers with `berth push`" in direct.stderr
    assert "push through `berth proxy`" in direct.stderr

    run(
        ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", creds,
         image.reference, f"docker://{proxy.host}/{repository}:v1"]
    )  # fmt: skip
    assert _pushed_through(proxy, image.layers[0].digest)

    back = scratch / "back"
    run(
        ["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--src-creds", creds,
         f"docker://{proxy.host}/{repository}:v1", f"oci:{back}:v1"]
    )  # fmt: skip
    assert layout_manifest(back, "v1").digest == image.manifest.digest
    for blob in image.blobs:
        assert _sha256_file(blob_path(back, blob.digest)) == blob.digest
    # The registry itself serves the same manifest, asked directly.
    raw = run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds,
         f"docker://{registry.host}/{repository}:v1"]
    ).stdout  # fmt: skip
    assert raw.encode() == image.manifest_bytes


def _podman_round_trip(
    proxy: ProxyProcess, password: str, scratch: Path, short_tmp: Path, size: int, seed: int
) -> None:
    """podman takes the image from an OCI layout, pushes it through the proxy (compressing
    the layer itself), forgets it, pulls it back through the proxy, and checks every layer
    against the config's diff_ids."""
    image = write_large_image(scratch / "src", "v1", size, seed=seed)
    storage: Storage = private_storage(scratch / "podman", short_tmp)
    podman(storage, "pull", "--quiet", image.reference)
    image_id = image.config.digest.split(":", 1)[1]
    shutil.rmtree(image.layout)  # podman has it; free the disk before the push spools it
    reference = f"{proxy.host}/{new_repository('proxy')}:v1"
    digest_file = scratch / "pushed.digest"
    creds = f"admin:{password}"

    podman(storage, "push", "--quiet", "--tls-verify=false", "--creds", creds,
           "--digestfile", digest_file, image_id, f"docker://{reference}")  # fmt: skip

    podman(storage, "rmi", "--all", "--force")
    pulled = podman(storage, "pull", "--quiet", "--tls-verify=false", "--creds", creds, reference)
    assert pulled.strip() == image_id
    details = json.loads(podman(storage, "image", "inspect", reference))[0]
    assert details["Digest"] == digest_file.read_text().strip()
    assert details["RootFS"]["Layers"] == list(image.diff_ids)


def test_podman_pushes_and_pulls_a_64_mib_layer_through_the_proxy(
    limited: tuple[Registry, str], proxy: ProxyProcess, scratch: Path, short_tmp: Path
) -> None:
    _podman_round_trip(proxy, limited[1], scratch, short_tmp, 64 * MiB, seed=2)


def test_podman_carries_a_500_mib_layer_through_the_proxy(
    limited: tuple[Registry, str], proxy: ProxyProcess, scratch: Path, short_tmp: Path
) -> None:
    """Issue 18's done-criterion (its run time is reported by `--durations`)."""
    _podman_round_trip(proxy, limited[1], scratch, short_tmp, 500 * MiB, seed=3)


def test_buildah_pushes_and_pulls_a_64_mib_layer_through_the_proxy(
    limited: tuple[Registry, str], proxy: ProxyProcess, scratch: Path, short_tmp: Path
) -> None:
    storage = private_storage(scratch / "buildah", short_tmp)
    payload = scratch / "payload.bin"
    with payload.open("wb") as file:
        for number in range(64):
            file.write(hashlib.sha256(f"block-{number}".encode()).digest() * (MiB // 32))
    expected = _sha256_file(payload)
    container = buildah(storage, "from", "scratch").strip()
    buildah(storage, "copy", container, payload, "/payload.bin")
    image_id = buildah(storage, "commit", "--quiet", container, "localhost/proxied:v1").strip()
    buildah(storage, "rm", container)
    payload.unlink()
    reference = f"{proxy.host}/{new_repository('proxy')}:v1"
    creds = f"admin:{limited[1]}"

    buildah(storage, "push", "--quiet", "--tls-verify=false", "--creds", creds,
            image_id, f"docker://{reference}")  # fmt: skip

    buildah(storage, "rmi", "--all", "--force")
    pulled = buildah(storage, "pull", "--quiet", "--tls-verify=false", "--creds", creds, reference)
    assert pulled.strip() == image_id
    working = buildah(storage, "from", "--pull-never", reference).strip()
    try:
        mountpoint = Path(buildah(storage, "mount", working).strip())
        assert _sha256_file(mountpoint / "payload.bin") == expected
    finally:
        buildah(storage, "umount", working)
        buildah(storage, "rm", working)
