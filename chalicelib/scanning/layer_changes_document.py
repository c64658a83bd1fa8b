"""One layer's changes (kept files, whiteouts) as bytes to store under the layer's digest.

Layers are content-addressed: what a layer adds and deletes is the same in every image and
repository that holds it, so a scan that read it once never needs its bytes again. Storing the
kept files themselves (not the packages parsed from them) keeps whiteouts exact: cached and
freshly read layers are stacked together in the image's order, and the inventory is taken from
the stacked files as for a full read."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from chalicelib.scanning.layer_changes import LayerChanges


def encode(changes: LayerChanges, format: int) -> bytes:
    document = {
        "format": format,
        "files": {path: base64.b64encode(data).decode() for path, data in changes.files.items()},
        "deleted": sorted(changes.deleted),
        "opaque": sorted(changes.opaque),
        "skipped": changes.skipped,
        "problems": changes.problems,
    }
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of text")
    return value


def decode(data: bytes, format: int) -> LayerChanges | None:
    """None for anything but a document of `format` (then the layer is read again)."""
    try:
        document = json.loads(zlib.decompress(data))
        if not isinstance(document, dict) or document.get("format") != format:
            return None
        files = document["files"]
        if not isinstance(files, dict):
            return None
        return LayerChanges(
            files={
                str(path): base64.b64decode(text, validate=True) for path, text in files.items()
            },
            deleted=set(_texts(document["deleted"])),
            opaque=set(_texts(document["opaque"])),
            skipped=_texts(document["skipped"]),
            problems=_texts(document["problems"]),
        )
    except (zlib.error, ValueError, KeyError, TypeError):
        return None
