"""Read a `docker save` tarball (manifest.json, a config JSON and layer tars) into a PushPlan.

The layers keep their exact bytes (uncompressed tars as docker saves them, or compressed if they
are): only a manifest is written, listing them with their digests (hashed here, streaming) and a
media type that says how they are compressed. OCI by default; Docker schema 2 if asked and every
layer is gzipped (schema 2 has no standard type for an uncompressed layer).
"""

from __future__ import annotations

import json
from typing import Any

from berth.client.media_types import (
    DOCKER_CONFIG,
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_LAYER_GZIP,
    OCI_LAYER_TAR,
    OCI_LAYER_ZSTD,
    OCI_MANIFEST,
)
from berth.push.content import Blob, Manifest, PushPlan, sha256_bytes
from berth.push.errors import source_invalid
from berth.push.tree import Tree, read_small

_OCI_LAYERS = {None: OCI_LAYER_TAR, "gzip": OCI_LAYER_GZIP, "zstd": OCI_LAYER_ZSTD}


def is_docker_save(tree: Tree) -> bool:
    return tree.file("manifest.json") is not None


def read_docker_save(tree: Tree, tag: str | None, name: str, docker_format: bool) -> PushPlan:
    try:
        entries = json.loads(read_small(tree, "manifest.json"))
    except ValueError as error:
        raise source_invalid(f"{name}: manifest.json is not JSON: {error}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise source_invalid(f"{name}: manifest.json is not a list of images")
    entry = _select(entries, tag, name)
    config_name, layer_names = entry.get("Config"), entry.get("Layers")
    if not isinstance(config_name, str) or not isinstance(layer_names, list):
        raise source_invalid(f"{name}: manifest.json entry has no Config or Layers")
    config_bytes = read_small(tree, config_name)
    config_range = tree.file(config_name)
    assert config_range is not None
    config_type = DOCKER_CONFIG if docker_format else OCI_CONFIG
    config = Blob(sha256_bytes(config_bytes), len(config_bytes), config_type, config_range)
    layers = [_layer(tree, str(layer), docker_format) for layer in layer_names]
    manifest_type = DOCKER_MANIFEST if docker_format else OCI_MANIFEST
    document = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": _descriptor(config),
        "layers": [_descriptor(layer) for layer in layers],
    }
    data = json.dumps(document, indent=3).encode()
    unique = {blob.digest: blob for blob in [config, *layers]}
    label = f"{name} ({', '.join(entry.get('RepoTags') or []) or 'untagged'})"
    manifest = Manifest(sha256_bytes(data), manifest_type, data)
    return PushPlan(tuple(unique.values()), (manifest,), label)


def _select(entries: list[dict[str, Any]], tag: str | None, name: str) -> dict[str, Any]:
    if tag is not None:
        for entry in entries:
            for repo_tag in entry.get("RepoTags") or []:
                if repo_tag == tag or repo_tag.rpartition(":")[2] == tag:
                    return entry
        raise source_invalid(f"{name}: no image tagged {tag!r}")
    if len(entries) == 1:
        return entries[0]
    tags = ", ".join(t for e in entries for t in e.get("RepoTags") or []) or "untagged"
    if not entries:
        raise source_invalid(f"{name}: manifest.json lists no image")
    raise source_invalid(f"{name} holds {len(entries)} images: say which with SOURCE:TAG ({tags})")


def _layer(tree: Tree, layer_name: str, docker_format: bool) -> Blob:
    found = tree.file(layer_name)
    if found is None:
        raise source_invalid(f"layer {layer_name} is missing")
    kind = _compression(found.head(4))
    if docker_format:
        if kind != "gzip":
            raise source_invalid(
                f"layer {layer_name} is not gzipped: Docker schema 2 cannot list it "
                "(push it in OCI format, the default)"
            )
        media_type = DOCKER_LAYER_GZIP
    else:
        media_type = _OCI_LAYERS[kind]
    return Blob(found.sha256(), found.size, media_type, found)


def _compression(magic: bytes) -> str | None:
    if magic.startswith(b"\x1f\x8b"):
        return "gzip"
    if magic == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return None


def _descriptor(blob: Blob) -> dict[str, Any]:
    return {"mediaType": blob.media_type, "digest": blob.digest, "size": blob.size}
