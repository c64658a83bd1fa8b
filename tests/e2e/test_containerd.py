"""containerd's `ctr` pulling from `berth serve`, through a containerd daemon this test starts
on its own socket, root and state (native snapshotter), and always stops."""

from __future__ import annotations

import contextlib
import os
import socket as pysocket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.images import OCI_INDEX, OCI_MANIFEST, read_blob, write_image, write_index
from tests.e2e.support import Registry, host_architecture, run, skopeo_push

pytestmark = pytest.mark.e2e

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
NAMESPACE = "berth-e2e"
# Plugins that would reach outside the test's directories or need what this machine may lack.
DISABLED_PLUGINS = (
    "io.containerd.grpc.v1.cri",
    "io.containerd.internal.v1.opt",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.tracing.processor.v1.otlp",
)


@dataclass(frozen=True)
class Containerd:
    socket: Path
    log: Path

    def ctr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["ctr", "--address", str(self.socket), "--namespace", NAMESPACE, *args]
        return run(command, check=check)

    def content(self, digest: str) -> bytes:
        """A blob's bytes from the daemon's content store (`ctr content get`)."""
        command = ["ctr", "--address", str(self.socket), "--namespace", NAMESPACE]
        result = subprocess.run(
            [*command, "content", "get", digest], capture_output=True, timeout=60, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"ctr content get {digest} failed: {result.stderr.decode()[-2000:]}")
        return result.stdout


def _config(directory: Path, socket: Path) -> Path:
    disabled = ", ".join(f'"{plugin}"' for plugin in DISABLED_PLUGINS)
    config = directory / "config.toml"
    config.write_text(
        "version = 2\n"
        f'root = "{directory / "root"}"\n'
        f'state = "{directory / "state"}"\n'
        f"disabled_plugins = [{disabled}]\n"
        "[grpc]\n"
        f'  address = "{socket}"\n'
        "[ttrpc]\n"
        f'  address = "{socket}.ttrpc"\n'
        "[debug]\n"
        '  address = ""\n'
        '  level = "info"\n'
        "[metrics]\n"
        '  address = ""\n'
    )
    return config


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def containerd(short_tmp: Path) -> Iterator[Containerd]:
    """A containerd of this test's own (socket, root, state under a short tmp dir)."""
    socket = short_tmp / "containerd.sock"
    config = _config(short_tmp, socket)
    log = short_tmp / "containerd.log"
    # containerd says READY=1 on $NOTIFY_SOCKET (sd_notify) once it serves: wait for that.
    notify_path = short_tmp / "notify.sock"
    with contextlib.ExitStack() as stack:
        notify = stack.enter_context(pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_DGRAM))
        notify.bind(str(notify_path))
        output = stack.enter_context(log.open("wb"))
        process = subprocess.Popen(
            ["containerd", "--config", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NOTIFY_SOCKET": str(notify_path)},
        )
        stack.callback(_stop, process)
        notify.settimeout(START_TIMEOUT_SECONDS)
        try:
            message = notify.recv(4096)
        except TimeoutError:
            pytest.fail(f"containerd not ready in {START_TIMEOUT_SECONDS} s:\n{log.read_text()}")
        assert b"READY=1" in message.split(b"\n"), message
        daemon = Containerd(socket, log)
        daemon.ctr("version")
        yield daemon


def _images(daemon: Containerd) -> dict[str, list[str]]:
    """`ctr images ls`: each reference's row (type, digest, size..., platforms, labels)."""
    lines = daemon.ctr("images", "ls").stdout.splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines[1:] if line.strip()}


def test_ctr_pulls_and_unpacks_an_image(
    registry: Registry, repository: str, scratch: Path, containerd: Containerd
) -> None:
    architecture = host_architecture()
    image = write_image(
        scratch / "src", "v1", layer_sizes=(60_000, 20_000), architecture=architecture
    )
    skopeo_push(image.reference, registry.docker(repository, "v1"))
    reference = f"{registry.host}/{repository}:v1"

    containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", reference)

    images = _images(containerd)
    assert reference in images, images
    kind, digest = images[reference][:2]
    assert (kind, digest) == (OCI_MANIFEST, image.manifest.digest)
    assert f"linux/{architecture}" in images[reference]
    content = containerd.ctr("content", "ls", "--quiet").stdout.split()
    for descriptor in (image.manifest, *image.blobs):
        assert descriptor.digest in content
    # The content store holds the very bytes pushed.
    for descriptor in image.blobs:
        assert containerd.content(descriptor.digest) == read_blob(image.layout, descriptor.digest)
    # Unpacked: one committed snapshot per layer in the native snapshotter.
    snapshots = containerd.ctr("snapshots", "--snapshotter", "native", "ls").stdout.splitlines()
    assert len([line for line in snapshots[1:] if "Committed" in line]) == len(image.layers)
    check = containerd.ctr("images", "check").stdout
    assert "complete" in check, check


def test_ctr_pulls_a_multi_arch_index(
    registry: Registry, repository: str, scratch: Path, containerd: Containerd
) -> None:
    index = write_index(scratch / "src", "multi")
    skopeo_push(index.reference, registry.docker(repository, "multi"), "--all")
    reference = f"{registry.host}/{repository}:multi"

    containerd.ctr(
        "images", "pull", "--plain-http", "--all-platforms", "--snapshotter", "native", reference
    )

    images = _images(containerd)
    assert reference in images, images
    kind, digest = images[reference][:2]
    assert (kind, digest) == (OCI_INDEX, index.index.digest)
    platforms = images[reference][-2]
    assert platforms.split(",") == ["linux/amd64", "linux/arm64"]
    content = set(containerd.ctr("content", "ls", "--quiet").stdout.split())
    for child in index.children:
        for descriptor in (child.manifest, *child.blobs):
            assert descriptor.digest in content, f"{descriptor.digest} not pulled"
    assert containerd.content(index.index.digest) == index.index_bytes
    for child in index.children:
        assert containerd.content(child.manifest.digest) == child.manifest_bytes
