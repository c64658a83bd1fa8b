"""Stack layers into the files the image finally holds, honouring whiteouts as the image spec
says: a layer's whiteouts and opaque markers hide only what lower layers put there, and are
applied before that layer's own files, whatever their order in the tar."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.scanning.layer_changes import LayerChanges


def _is_at_or_below(path: str, top: str) -> bool:
    return path == top or path.startswith(top + "/")


def _is_below(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")


def stack(layers: Iterable[LayerChanges]) -> dict[str, bytes]:
    """The wanted files of the merged image filesystem, bottom layer first."""
    files: dict[str, bytes] = {}
    for layer in layers:
        if layer.deleted or layer.opaque:
            files = {
                path: data
                for path, data in files.items()
                if not any(_is_at_or_below(path, gone) for gone in layer.deleted)
                and not any(_is_below(path, directory) for directory in layer.opaque)
            }
        files.update(layer.files)
    return files
