"""What of an image a scan reads: the filesystem layers of an image manifest (not its config,
not an artifact's blobs), and the platform manifests of an index (not attestations)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.scanning.errors import ScanInputError

# Filesystem changesets: OCI tar(+gzip|+zstd) layers, their non-distributable variants and
# Docker's rootfs diffs.
_LAYER_MARKERS = ("vnd.oci.image.layer.", "vnd.docker.image.rootfs.")


@dataclass(frozen=True)
class Platform:
    digest: str
    name: str  # os/architecture[/variant]


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError as error:
        raise ScanInputError(f"manifest is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise ScanInputError("manifest is not a JSON object")
    return document


@dataclass(frozen=True)
class Layer:
    digest: str
    annotations: dict[str, Any]  # a seekable layer's TOC position is named here
    size: int = 0  # the descriptor's: an eStargz footer is the blob's last bytes


def _annotations(descriptor: dict[str, Any]) -> dict[str, Any]:
    found = descriptor.get("annotations")
    return found if isinstance(found, dict) else {}


def _size(descriptor: dict[str, Any]) -> int:
    size = descriptor.get("size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 0


def filesystem_layer_descriptors(body: bytes) -> list[Layer]:
    """Filesystem layers bottom first; [] for an artifact that carries no filesystem."""
    layers = _document(body).get("layers") or []
    return [
        Layer(str(layer["digest"]), _annotations(layer), _size(layer))
        for layer in layers
        if isinstance(layer, dict)
        and any(marker in str(layer.get("mediaType", "")) for marker in _LAYER_MARKERS)
        and "digest" in layer
    ]


def filesystem_layers(body: bytes) -> list[str]:
    """Layer digests bottom first; [] for an artifact that carries no filesystem."""
    return [layer.digest for layer in filesystem_layer_descriptors(body)]


def platforms(body: bytes) -> list[Platform]:
    """An index's image manifests; BuildKit's attestation manifests (unknown/unknown) left out."""
    found = []
    for entry in _document(body).get("manifests") or []:
        if not isinstance(entry, dict) or "digest" not in entry:
            continue
        platform = entry.get("platform") or {}
        os_name, arch = platform.get("os", "unknown"), platform.get("architecture", "unknown")
        if (os_name, arch) == ("unknown", "unknown"):
            continue
        name = "/".join(p for p in (os_name, arch, platform.get("variant", "")) if p)
        found.append(Platform(str(entry["digest"]), name))
    return found
