"""Read an OCI image layout (a directory, or an oci-archive tar of one) into a PushPlan.

image-layout.md: an `oci-layout` marker, `index.json` (an image index) and `blobs/<alg>/<hex>`.
The image to push is the index.json entry tagged with the ref name asked for, or the only entry;
an index is pushed with all its children (a multi-platform image), children first.
"""

from __future__ import annotations

import json
from typing import Any

from berth.client.media_types import IMAGE_MANIFESTS, INDEXES, REF_NAME
from berth.push.content import Blob, Manifest, PushPlan, sha256_bytes
from berth.push.errors import source_invalid
from berth.push.tree import Tree, read_small

MAX_DEPTH = 8


def is_layout(tree: Tree) -> bool:
    return tree.file("oci-layout") is not None and tree.file("index.json") is not None


def read_layout(tree: Tree, tag: str | None, name: str) -> PushPlan:
    marker = _json(read_small(tree, "oci-layout"), "oci-layout")
    if not isinstance(marker, dict) or "imageLayoutVersion" not in marker:
        raise source_invalid(f"{name}: oci-layout has no imageLayoutVersion")
    index = _json(read_small(tree, "index.json"), "index.json")
    entry = _select(_entries(index, "index.json"), tag, name)
    walker = _Walker(tree)
    walker.visit(entry, depth=0)
    label = f"{name}" + (f" ({tag})" if tag else "")
    return PushPlan(tuple(walker.blobs.values()), tuple(walker.manifests.values()), label)


def _select(entries: list[dict[str, Any]], tag: str | None, name: str) -> dict[str, Any]:
    if tag is not None:
        found = [e for e in entries if _ref_name(e) == tag]
        if not found:
            raise source_invalid(f"{name}: no image named {tag!r} (it has: {_names(entries)})")
        return found[-1]
    if len(entries) == 1:
        return entries[0]
    if not entries:
        raise source_invalid(f"{name}: index.json lists no image")
    raise source_invalid(
        f"{name} holds {len(entries)} images: say which with SOURCE:NAME ({_names(entries)})"
    )


def _ref_name(entry: dict[str, Any]) -> str | None:
    annotations = entry.get("annotations")
    value = annotations.get(REF_NAME) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else None


def _names(entries: list[dict[str, Any]]) -> str:
    return ", ".join(_ref_name(e) or str(e.get("digest")) for e in entries) or "nothing"


def _entries(document: Any, what: str) -> list[dict[str, Any]]:
    manifests = document.get("manifests") if isinstance(document, dict) else None
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise source_invalid(f"{what} has no list of manifests")
    return manifests


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:
        raise source_invalid(f"{what} is not JSON: {error}") from None


def blob_name(digest: str) -> str:
    algorithm, colon, encoded = digest.partition(":")
    if not colon or not algorithm or not encoded or "/" in digest or ".." in digest:
        raise source_invalid(f"{digest!r} is not a digest")
    return f"blobs/{algorithm}/{encoded}"


class _Walker:
    """Collects an image's blobs and manifests, children before the index that lists them."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.blobs: dict[str, Blob] = {}
        self.manifests: dict[str, Manifest] = {}

    def visit(self, descriptor: dict[str, Any], depth: int) -> None:
        digest = str(descriptor.get("digest"))
        if digest in self.manifests:
            return
        if depth > MAX_DEPTH:
            raise source_invalid(f"indexes nested deeper than {MAX_DEPTH} at {digest}")
        data = read_small(self.tree, blob_name(digest))
        if sha256_bytes(data) != digest:
            raise source_invalid(f"manifest {digest} does not match its digest")
        document = _json(data, f"manifest {digest}")
        media_type = descriptor.get("mediaType") or (
            document.get("mediaType") if isinstance(document, dict) else None
        )
        if media_type in INDEXES:
            for child in _entries(document, f"index {digest}"):
                self.visit(child, depth + 1)
        elif media_type in IMAGE_MANIFESTS:
            self._image_blobs(document, digest)
        else:
            raise source_invalid(f"{digest} has media type {media_type!r}: not an image")
        self.manifests[digest] = Manifest(digest, str(media_type), data)

    def _image_blobs(self, document: Any, digest: str) -> None:
        config = document.get("config") if isinstance(document, dict) else None
        layers = document.get("layers") if isinstance(document, dict) else None
        if not isinstance(config, dict) or not isinstance(layers, list):
            raise source_invalid(f"manifest {digest} has no config or layers")
        for descriptor in [config, *layers]:
            self._blob(descriptor, digest)

    def _blob(self, descriptor: Any, manifest: str) -> None:
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("size"), int):
            raise source_invalid(f"manifest {manifest} has a malformed descriptor")
        digest = str(descriptor.get("digest"))
        if digest in self.blobs:
            return
        found = self.tree.file(blob_name(digest))
        if found is None:
            if descriptor.get("urls"):
                return  # non-distributable: the registry does not need it
            raise source_invalid(f"blob {digest} of manifest {manifest} is missing")
        if found.size != descriptor["size"]:
            raise source_invalid(
                f"blob {digest} is {found.size} bytes, its descriptor says {descriptor['size']}"
            )
        self.blobs[digest] = Blob(digest, found.size, str(descriptor.get("mediaType")), found)
