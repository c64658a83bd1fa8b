"""Single-layer OCI image layouts of random bytes, built on disk under `bench/work/`.

The layer is a tar holding one file of random bytes, gzip-wrapped at level 0 (stored
blocks): skopeo pushes a gzip layer as it is, where it would spend minutes compressing an
uncompressed one, and random bytes would not shrink anyway. So the blob is the layer size
plus a few KiB of tar and gzip framing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from bench.content import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    Descriptor,
    config_blob,
    image_manifest,
)

_PIECE = 1 << 20
_TAR_BLOCK = 512


@dataclass(frozen=True, slots=True)
class Image:
    layout: Path  # an OCI image layout directory
    tag: str
    manifest: Descriptor
    layer: Descriptor
    layer_path: Path  # the layer blob's file, for the S3 floor

    @property
    def skopeo_ref(self) -> str:
        return f"oci:{self.layout}:{self.tag}"


class _LayerWriter:
    """Writes tar bytes through gzip into a file, hashing both sides."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")
        self._compressor = zlib.compressobj(0, zlib.DEFLATED, 31)  # gzip framing, stored
        self.diff_id = hashlib.sha256()  # of the tar
        self.digest = hashlib.sha256()  # of the blob
        self.size = 0

    def write(self, data: bytes) -> None:
        self.diff_id.update(data)
        self._emit(self._compressor.compress(data))

    def _emit(self, data: bytes) -> None:
        if data:
            self.digest.update(data)
            self._file.write(data)
            self.size += len(data)

    def close(self) -> None:
        self._emit(self._compressor.flush())
        self._file.close()


def _blob_path(layout: Path, digest: str) -> Path:
    algorithm, hex_digest = digest.split(":", 1)
    return layout / "blobs" / algorithm / hex_digest


def _write_blob(layout: Path, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _blob_path(layout, digest).write_bytes(data)
    return digest


def build(layout: Path, payload_size: int, tag: str = "latest") -> Image:
    """A fresh image: a layer with `payload_size` random bytes, its config and manifest."""
    if layout.exists():
        shutil.rmtree(layout)
    (layout / "blobs" / "sha256").mkdir(parents=True)
    staging = layout / "layer.tmp"
    writer = _LayerWriter(staging)
    info = tarfile.TarInfo("payload.bin")
    info.size = payload_size
    info.mode = 0o644
    writer.write(info.tobuf(format=tarfile.USTAR_FORMAT))
    remaining = payload_size
    while remaining:
        piece = os.urandom(min(_PIECE, remaining))
        writer.write(piece)
        remaining -= len(piece)
    writer.write(b"\0" * (-payload_size % _TAR_BLOCK) + b"\0" * (2 * _TAR_BLOCK))
    writer.close()
    layer_digest = "sha256:" + writer.digest.hexdigest()
    layer_path = _blob_path(layout, layer_digest)
    staging.rename(layer_path)
    layer = Descriptor(OCI_LAYER_GZIP, layer_digest, writer.size)

    config = config_blob(["sha256:" + writer.diff_id.hexdigest()])
    config_descriptor = Descriptor(OCI_CONFIG, _write_blob(layout, config), len(config))
    manifest = image_manifest(config_descriptor, [layer])
    manifest_descriptor = Descriptor(OCI_MANIFEST, _write_blob(layout, manifest), len(manifest))
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                **manifest_descriptor.as_json(),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return Image(layout, tag, manifest_descriptor, layer, layer_path)
