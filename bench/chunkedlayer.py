"""Write a zstd:chunked layer (for the scan bench and the tests) as containers/storage lays
one out, and as the layer `buildah push --compression-format zstd:chunked` wrote on this
machine reads: each tar header and each file's contents start a zstd frame of their own,
large contents are split into several frames (`chunk` entries), and the table of contents,
zstd-compressed JSON, sits in a skippable frame after the end of the archive, followed by a
skippable footer frame. The blob is still one valid zstd tar stream for readers that know
nothing of the TOC."""

from __future__ import annotations

import hashlib
import json
import struct
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import zstandard

PREFIX = "io.github.containers.zstd-chunked."
_SKIPPABLE = struct.pack("<I", 0x184D2A50)


@dataclass(frozen=True)
class ChunkedLayer:
    blob: bytes
    annotations: dict[str, str]
    toc: dict[str, Any]


def _frame(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def _skippable(data: bytes) -> bytes:
    return _SKIPPABLE + struct.pack("<I", len(data)) + data


def chunked_layer(
    files: Iterable[tuple[str, bytes]],
    executables: frozenset[str] = frozenset(),
    links: dict[str, str] | None = None,
    chunk: int = 64 * 1024,
) -> ChunkedLayer:
    """`files` in order; `links` maps a hard link's path to its target (after the files)."""
    out = bytearray()
    entries: list[dict[str, Any]] = []
    for path, data in files:
        info = tarfile.TarInfo(path)
        info.size, info.mode = len(data), 0o755 if path in executables else 0o644
        header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        out += _frame(header)
        entry: dict[str, Any] = {"type": "reg", "name": path, "mode": 0o100000 | info.mode}
        entry["size"] = len(data)
        entry["digest"] = "sha256:" + hashlib.sha256(data).hexdigest()
        padded = data + b"\0" * (-len(data) % 512)
        start = len(out)
        pieces = [padded[i : i + chunk] for i in range(0, len(padded), chunk)] or [b""]
        chunk_entries = []
        for number, piece in enumerate(pieces):
            if number:
                chunk_entries.append({"type": "chunk", "name": path, "offset": len(out)})
            out += _frame(piece) if piece else b""
        entry["offset"], entry["endOffset"] = start, len(out)
        entries += [entry, *chunk_entries]
    for path, target in (links or {}).items():
        info = tarfile.TarInfo(path)
        info.type, info.linkname = tarfile.LNKTYPE, target
        out += _frame(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        entries.append({"type": "hardlink", "name": path, "linkName": target})
    out += _frame(b"\0" * 1024)  # the end of the archive
    toc = {"version": 1, "entries": entries}
    compressed = _frame(json.dumps(toc).encode())
    offset = len(out) + 8
    out += _skippable(compressed)
    footer = struct.pack("<QQQQ", offset, len(compressed), len(json.dumps(toc)), 1) + b"GnUlInUx"
    out += _skippable(footer)
    annotations = {
        PREFIX + "manifest-checksum": "sha256:" + hashlib.sha256(compressed).hexdigest(),
        PREFIX + "manifest-position": f"{offset}:{len(compressed)}:{len(json.dumps(toc))}:1",
    }
    return ChunkedLayer(bytes(out), annotations, toc)
