"""skopeo against `berth serve`: push, inspect, pull, Docker schema 2, registry-to-registry copy
(cross-repository mount), delete, a multi-arch index with `--all`, tag listing, large layers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from berth.localserver.splitting import CHUNK_SIZE
from tests.e2e.images import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    Image,
    layout_blobs,
    layout_manifest,
    read_blob,
    sha256,
    write_image,
    write_index,
)
from tests.e2e.support import Registry, new_repository, run

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
TLS = ("--src-tls-verify=false", "--dest-tls-verify=false")


def copy_debug(source: str, destination: str) -> str:
    """`skopeo --debug copy`: returns its stderr, which logs each HTTP request it makes."""
    return run(["skopeo", "--debug", "copy", *TLS, source, destination]).stderr


def copy(source: str, destination: str, *options: str) -> None:
    run(["skopeo", "copy", "--quiet", *TLS, *options, source, destination])


def inspect_raw(reference: str) -> bytes:
    result = run(["skopeo", "inspect", "--raw", "--tls-verify=false", reference])
    return result.stdout.encode()


def inspect(reference: str) -> dict[str, Any]:
    result = run(["skopeo", "inspect", "--tls-verify=false", reference])
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def list_tags(registry: Registry, repository: str) -> list[str]:
    result = run(
        ["skopeo", "list-tags", "--tls-verify=false", f"docker://{registry.host}/{repository}"]
    )
    tags: list[str] = json.loads(result.stdout)["Tags"]
    return tags


def assert_same_blobs(original: Image, pulled_layout: Path, tag: str) -> None:
    """The pulled layout holds the image's manifest, config and layers, byte for byte."""
    assert layout_manifest(pulled_layout, tag).digest == original.manifest.digest
    pulled = layout_blobs(pulled_layout)
    assert pulled[original.manifest.digest] == original.manifest_bytes
    for descriptor in original.blobs:
        assert descriptor.digest in pulled, f"{descriptor.digest} missing from the pulled layout"
        data = pulled[descriptor.digest]
        assert len(data) == descriptor.size
        assert data == read_blob(original.layout, descriptor.digest)


def test_push_inspect_and_pull_back_byte_for_byte(
    registry: Registry, repository: str, scratch: Path
) -> None:
    image = write_image(scratch / "src", "v1", layer_sizes=(50_000, 120_000))
    destination = registry.docker(repository, "v1")

    copy(image.reference, destination)

    assert inspect_raw(destination) == image.manifest_bytes
    details = inspect(destination)
    assert details["Digest"] == image.manifest.digest
    assert details["Layers"] == [layer.digest for layer in image.layers]
    assert details["Architecture"] == "amd64"
    assert details["Os"] == "linux"
    by_digest = registry.docker(repository, image.manifest.digest)
    assert inspect_raw(by_digest) == image.manifest_bytes
    config = run(["skopeo", "inspect", "--config", "--raw", "--tls-verify=false", destination])
    assert config.stdout.encode() == read_blob(image.layout, image.config.digest)

    copy(destination, f"oci:{scratch / 'pulled'}:v1")
    assert_same_blobs(image, scratch / "pulled", "v1")


def test_push_as_docker_schema2_and_pull_back(
    registry: Registry, repository: str, scratch: Path
) -> None:
    image = write_image(scratch / "src", "v1", layer_sizes=(30_000, 60_000))
    destination = registry.docker(repository, "v1")

    copy(image.reference, destination, "--format", "v2s2")

    raw = inspect_raw(destination)
    manifest = json.loads(raw)
    assert manifest["mediaType"] == DOCKER_MANIFEST
    assert manifest["config"]["mediaType"] == DOCKER_CONFIG
    assert [layer["mediaType"] for layer in manifest["layers"]] == [DOCKER_LAYER] * 2
    # The layers are the same gzip bytes under a Docker media type.
    assert [layer["digest"] for layer in manifest["layers"]] == [d.digest for d in image.layers]
    digest = sha256(raw)
    head = registry.request(
        "HEAD", f"/v2/{repository}/manifests/v1", headers={"Accept": DOCKER_MANIFEST}
    )
    assert head.status == 200
    assert head.headers["Docker-Content-Digest"] == digest
    assert head.headers["Content-Type"] == DOCKER_MANIFEST
    assert inspect(destination)["Digest"] == digest

    pulled = scratch / "pulled"
    copy(destination, f"dir:{pulled}")
    assert (pulled / "manifest.json").read_bytes() == raw
    for layer in image.layers:
        encoded = layer.digest.split(":", 1)[1]
        assert (pulled / encoded).read_bytes() == read_blob(image.layout, layer.digest)
    config_digest = manifest["config"]["digest"]
    assert sha256((pulled / config_digest.split(":", 1)[1]).read_bytes()) == config_digest


def test_copy_between_repositories_mounts_the_blobs(
    registry: Registry, repository: str, scratch: Path
) -> None:
    image = write_image(scratch / "src", "v1", layer_sizes=(40_000, 80_000))
    source = registry.docker(repository, "v1")
    copy(image.reference, source)
    other = new_repository()
    destination = registry.docker(other, "copied")

    log = copy_debug(source, destination)

    # skopeo knows the layers are in `repository` and asks to mount them instead of uploading.
    for layer in image.layers:
        assert f"mount={layer.digest.replace(':', '%3A')}" in log, log[-4000:]
    assert log.count("... mount OK") >= len(image.layers), log[-4000:]
    assert inspect_raw(destination) == image.manifest_bytes
    for descriptor in image.blobs:
        assert registry.blob(other, descriptor.digest) == read_blob(image.layout, descriptor.digest)
    # The source is untouched.
    assert inspect_raw(source) == image.manifest_bytes


def test_delete_removes_the_manifest_and_its_tag(
    registry: Registry, repository: str, scratch: Path
) -> None:
    doomed = write_image(scratch / "src", "doomed")
    kept = write_image(scratch / "src", "kept")
    copy(doomed.reference, registry.docker(repository, "doomed"))
    copy(kept.reference, registry.docker(repository, "kept"))
    assert sorted(list_tags(registry, repository)) == ["doomed", "kept"]

    run(["skopeo", "delete", "--tls-verify=false", registry.docker(repository, "doomed")])

    gone = run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", registry.docker(repository, "doomed")],
        check=False,
    )
    assert gone.returncode != 0
    assert "manifest unknown" in gone.stderr.lower(), gone.stderr
    by_digest = registry.request("HEAD", f"/v2/{repository}/manifests/{doomed.manifest.digest}")
    assert by_digest.status == 404
    assert list_tags(registry, repository) == ["kept"]
    assert inspect_raw(registry.docker(repository, "kept")) == kept.manifest_bytes


def test_multi_arch_index_with_all(registry: Registry, repository: str, scratch: Path) -> None:
    index = write_index(scratch / "src", "multi")
    destination = registry.docker(repository, "multi")

    copy(index.reference, destination, "--all")

    assert inspect_raw(destination) == index.index_bytes
    manifest = json.loads(inspect_raw(destination))
    assert manifest["mediaType"] == OCI_INDEX
    platforms = [
        (m["platform"]["os"], m["platform"]["architecture"]) for m in manifest["manifests"]
    ]
    assert platforms == [("linux", "amd64"), ("linux", "arm64")]
    for child in index.children:
        reference = registry.docker(repository, child.manifest.digest)
        assert inspect_raw(reference) == child.manifest_bytes
        for descriptor in child.blobs:
            data = registry.blob(repository, descriptor.digest)
            assert data == read_blob(index.layout, descriptor.digest)

    pulled = scratch / "pulled"
    copy(destination, f"oci:{pulled}:multi", "--all")

    assert layout_manifest(pulled, "multi").digest == index.index.digest
    blobs = layout_blobs(pulled)
    assert blobs[index.index.digest] == index.index_bytes
    for child in index.children:
        assert blobs[child.manifest.digest] == child.manifest_bytes
        for descriptor in child.blobs:
            assert blobs[descriptor.digest] == read_blob(index.layout, descriptor.digest)


def test_list_tags(registry: Registry, repository: str, scratch: Path) -> None:
    image = write_image(scratch / "src", "v1")
    tags = ["v1", "latest", "1.0.0", "stable"]
    for tag in tags:
        copy(image.reference, registry.docker(repository, tag))

    assert sorted(list_tags(registry, repository)) == sorted(tags)
    for tag in tags:
        assert inspect(registry.docker(repository, tag))["Digest"] == image.manifest.digest
    empty = run(
        [
            "skopeo",
            "list-tags",
            "--tls-verify=false",
            f"docker://{registry.host}/{new_repository()}",
        ],
        check=False,
    )
    assert empty.returncode != 0, "a repository never pushed to has no tags to list"
    assert "registry 404 (Not Found)" in empty.stderr, empty.stderr


def test_large_layers_split_into_several_patch_events(
    registry: Registry, repository: str, scratch: Path
) -> None:
    """A few-MiB layer and one well over 16 MiB: the big one reaches the app as several PATCH
    events (the local server splits uploads into CHUNK_SIZE pieces), and comes back intact."""
    big_size = 2 * CHUNK_SIZE + 4 * MiB
    image = write_image(scratch / "src", "big", layer_sizes=(3 * MiB, big_size))
    big = image.layers[1]
    assert big.size > 2 * CHUNK_SIZE
    destination = registry.docker(repository, "big")

    copy(image.reference, destination)

    events = [
        record["events"]
        for record in registry.log_records()
        if record.get("message") == "http"
        and f"/v2/{repository}/blobs/uploads/" in str(record.get("path"))
        and record.get("events", 0) > 1
    ]
    assert sum(events) >= math.ceil(big.size / CHUNK_SIZE), (
        f"the {big.size}-byte layer reached the app in fewer events than expected: {events}"
    )
    assert inspect_raw(destination) == image.manifest_bytes
    pulled = scratch / "pulled"
    copy(destination, f"oci:{pulled}:big")
    assert_same_blobs(image, pulled, "big")
    manifest = json.loads(read_blob(pulled, image.manifest.digest))
    assert manifest["mediaType"] == OCI_MANIFEST
