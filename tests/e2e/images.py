"""Build OCI image layouts on disk, in Python, for the real clients to push: no network.

Each layer is a gzipped tar holding one file of random bytes (so layers never collide across
tests and do not compress); the config lists the layers' diff_ids, as unpacking clients
(containerd, podman) check. `write_image` writes one image, `write_index` a multi-platform
index over several; both add their tag to the layout's index.json, so one layout can hold
several images, each reachable as `oci:<layout>:<tag>`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OCI_LAYOUT_VERSION = "1.0.0"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
REF_NAME = "org.opencontainers.image.ref.name"
CREATED = "2024-01-01T00:00:00Z"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.platform is not None:
            value["platform"] = self.platform
        return value


@dataclass(frozen=True)
class Image:
    """One image written into `layout`: its manifest, config and layers."""

    layout: Path
    tag: str
    manifest: Descriptor
    manifest_bytes: bytes
    config: Descriptor
    layers: tuple[Descriptor, ...]
    diff_ids: tuple[str, ...]

    @property
    def reference(self) -> str:
        """The skopeo/podman reference of this image in its layout."""
        return f"oci:{self.layout}:{self.tag}"

    @property
    def blobs(self) -> tuple[Descriptor, ...]:
        """Config and layers: what a registry stores besides the manifest."""
        return (self.config, *self.layers)


@dataclass(frozen=True)
class Index:
    """A multi-platform index written into `layout`, with its child images."""

    layout: Path
    tag: str
    index: Descriptor
    index_bytes: bytes
    children: tuple[Image, ...]

    @property
    def reference(self) -> str:
        return f"oci:{self.layout}:{self.tag}"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def blob_path(layout: Path, digest: str) -> Path:
    algorithm, _, encoded = digest.partition(":")
    return layout / "blobs" / algorithm / encoded


def read_blob(layout: Path, digest: str) -> bytes:
    return blob_path(layout, digest).read_bytes()


def layout_blobs(layout: Path) -> dict[str, bytes]:
    """Every blob of a layout by digest (manifests, configs and layers alike)."""
    return {
        f"{path.parent.name}:{path.name}": path.read_bytes()
        for path in (layout / "blobs").glob("*/*")
    }


def layout_manifest(layout: Path, tag: str) -> Descriptor:
    """The descriptor index.json gives for `tag`."""
    index = json.loads((layout / "index.json").read_text())
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get(REF_NAME) == tag:
            return Descriptor(entry["mediaType"], entry["digest"], entry["size"])
    raise KeyError(f"{tag!r} not in {layout}/index.json")


def _write_blob(layout: Path, data: bytes, media_type: str) -> Descriptor:
    digest = sha256(data)
    path = blob_path(layout, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Descriptor(media_type, digest, len(data))


def _init_layout(layout: Path) -> None:
    layout.mkdir(parents=True, exist_ok=True)
    marker = layout / "oci-layout"
    if not marker.exists():
        marker.write_text(json.dumps({"imageLayoutVersion": OCI_LAYOUT_VERSION}))
    index = layout / "index.json"
    if not index.exists():
        index.write_text(json.dumps({"schemaVersion": 2, "manifests": []}))


def _tag(layout: Path, descriptor: Descriptor, tag: str) -> None:
    """Point `tag` in the layout's index.json at `descriptor` (replacing any old one)."""
    path = layout / "index.json"
    index = json.loads(path.read_text())
    entries = [e for e in index["manifests"] if e.get("annotations", {}).get(REF_NAME) != tag]
    entries.append({**descriptor.to_json(), "annotations": {REF_NAME: tag}})
    index["manifests"] = entries
    path.write_text(json.dumps(index))


def make_layer(size: int, name: str = "payload") -> tuple[bytes, str]:
    """A gzipped tar with one file of `size` random bytes; returns (blob, diff_id)."""
    content = os.urandom(size)
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o644
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = tar_buffer.getvalue()
    # Random bytes do not compress: level 1 is as good as 9 and much faster.
    blob = gzip.compress(tar_bytes, compresslevel=1, mtime=0)
    return blob, sha256(tar_bytes)


def write_image(
    layout: Path,
    tag: str = "latest",
    layer_sizes: Sequence[int] = (4096,),
    *,
    architecture: str = "amd64",
    os_name: str = "linux",
    index_tag: bool = True,
) -> Image:
    """Write an image of one random layer per size into `layout`; tag it unless told not to."""
    _init_layout(layout)
    layers: list[Descriptor] = []
    diff_ids: list[str] = []
    for number, size in enumerate(layer_sizes):
        blob, diff_id = make_layer(size, name=f"layer-{number}.bin")
        layers.append(_write_blob(layout, blob, OCI_LAYER))
        diff_ids.append(diff_id)
    config = {
        "created": CREATED,
        "architecture": architecture,
        "os": os_name,
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/layer-0.bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": CREATED, "created_by": f"berth e2e layer {n}"} for n in diff_ids],
    }
    config_descriptor = _write_blob(layout, _json_bytes(config), OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_descriptor.to_json(),
        "layers": [layer.to_json() for layer in layers],
    }
    manifest_bytes = _json_bytes(manifest)
    manifest_descriptor = _write_blob(layout, manifest_bytes, OCI_MANIFEST)
    if index_tag:
        _tag(layout, manifest_descriptor, tag)
    return Image(
        layout=layout,
        tag=tag,
        manifest=manifest_descriptor,
        manifest_bytes=manifest_bytes,
        config=config_descriptor,
        layers=tuple(layers),
        diff_ids=tuple(diff_ids),
    )


def write_index(
    layout: Path,
    tag: str = "latest",
    platforms: Sequence[tuple[str, str]] = (("linux", "amd64"), ("linux", "arm64")),
    layer_sizes: Sequence[int] = (4096,),
) -> Index:
    """Write a multi-platform index with one child image per (os, architecture)."""
    children = [
        write_image(
            layout,
            tag=f"{tag}-{os_name}-{architecture}",
            layer_sizes=layer_sizes,
            architecture=architecture,
            os_name=os_name,
            index_tag=False,
        )
        for os_name, architecture in platforms
    ]
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            Descriptor(
                OCI_MANIFEST,
                child.manifest.digest,
                child.manifest.size,
                platform={"architecture": arch, "os": os_name},
            ).to_json()
            for child, (os_name, arch) in zip(children, platforms, strict=True)
        ],
    }
    index_bytes = _json_bytes(index)
    descriptor = _write_blob(layout, index_bytes, OCI_INDEX)
    _tag(layout, descriptor, tag)
    return Index(layout, tag, descriptor, index_bytes, tuple(children))


def write_archive(layout: Path, archive: Path) -> Path:
    """Tar `layout` into an oci-archive (what `podman load` and `oci-archive:` read)."""
    with tarfile.open(archive, "w") as tar:
        for path in sorted(layout.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    return archive


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


BLOCK = 1024 * 1024


def _seeded_blocks(size: int, seed: int) -> Iterator[bytes]:
    """`size` bytes that do not compress, the same for the same seed: 1 MiB blocks, each
    from its own seeded generator, made one at a time (never all in memory)."""
    number = 0
    while size > 0:
        block = random.Random(f"{seed}-{number}").randbytes(min(BLOCK, size))
        size -= len(block)
        number += 1
        yield block


def write_large_image(layout: Path, tag: str, payload_size: int, seed: int = 0) -> Image:
    """An image of one layer holding `payload_size` seeded random bytes, streamed to disk
    (gzip level 0: stored, so writing 500 MiB costs about what copying it does)."""
    _init_layout(layout)
    staging = layout / "layer.tmp"
    tar_hash = hashlib.sha256()
    with (
        staging.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=0, mtime=0) as stream,
    ):

        def emit(data: bytes) -> None:
            tar_hash.update(data)
            stream.write(data)

        info = tarfile.TarInfo("payload.bin")
        info.size, info.mode, info.mtime = payload_size, 0o644, 0
        emit(info.tobuf(format=tarfile.PAX_FORMAT))
        for block in _seeded_blocks(payload_size, seed):
            emit(block)
        emit(b"\0" * (-payload_size % 512) + b"\0" * 1024)
    layer_hash = hashlib.sha256()
    with staging.open("rb") as written:
        while piece := written.read(BLOCK):
            layer_hash.update(piece)
    layer = Descriptor(OCI_LAYER, "sha256:" + layer_hash.hexdigest(), staging.stat().st_size)
    target = blob_path(layout, layer.digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.replace(target)
    diff_id = "sha256:" + tar_hash.hexdigest()
    config = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/payload.bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": CREATED, "created_by": f"berth e2e {payload_size} bytes"}],
    }
    config_descriptor = _write_blob(layout, _json_bytes(config), OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_descriptor.to_json(),
        "layers": [layer.to_json()],
    }
    manifest_bytes = _json_bytes(manifest)
    manifest_descriptor = _write_blob(layout, manifest_bytes, OCI_MANIFEST)
    _tag(layout, manifest_descriptor, tag)
    return Image(
        layout, tag, manifest_descriptor, manifest_bytes, config_descriptor, (layer,), (diff_id,)
    )


def write_image_of_layers(layout: Path, tag: str, layers: Sequence[bytes]) -> Image:
    """Write an image of the given gzip layers (built by the caller) into `layout`, tagged."""
    _init_layout(layout)
    descriptors = [_write_blob(layout, blob, OCI_LAYER) for blob in layers]
    diff_ids = [sha256(gzip.decompress(blob)) for blob in layers]
    config = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_descriptor = _write_blob(layout, _json_bytes(config), OCI_CONFIG)
    manifest_bytes = _json_bytes(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config_descriptor.to_json(),
            "layers": [layer.to_json() for layer in descriptors],
        }
    )
    manifest_descriptor = _write_blob(layout, manifest_bytes, OCI_MANIFEST)
    _tag(layout, manifest_descriptor, tag)
    return Image(
        layout=layout,
        tag=tag,
        manifest=manifest_descriptor,
        manifest_bytes=manifest_bytes,
        config=config_descriptor,
        layers=tuple(descriptors),
        diff_ids=tuple(diff_ids),
    )
