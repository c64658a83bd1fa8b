"""Write an eStargz layer (for the scan bench and the tests), as stargz-snapshotter's
docs/estargz.md lays one out (no tool on this machine or on PyPI writes one): a gzip member
starts at the top of the blob, at each non-empty regular file's contents (and at each further
chunk of a large one), at the TOC's tar header and at the footer. The TOC
(`stargz.index.json`, the last tar entry) lists every entry with its member's offset, `digest`
and `chunkDigest`; the footer is an empty gzip member whose extra field is `%016x` of the
TOC's offset and `STARGZ`. The descriptor carries `containerd.io/snapshot/stargz/toc.digest`,
the sha256 of the TOC's JSON."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest"


@dataclass(frozen=True)
class StargzLayer:
    blob: bytes
    annotations: dict[str, str]
    toc: dict[str, Any]
    toc_offset: int


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def footer(offset: int) -> bytes:
    """51 bytes: gzip header (FEXTRA), XLEN 26, `SG`, LEN 22, `%016xSTARGZ`, an empty final
    stored block, CRC32 and ISIZE of nothing."""
    head = b"\x1f\x8b\x08\x04" + b"\0\0\0\0" + b"\0\xff"
    extra = struct.pack("<H2sH", 26, b"SG", 22) + f"{offset:016x}STARGZ".encode()
    return head + extra + b"\x01\x00\x00\xff\xff" + struct.pack("<II", 0, 0)


def stargz_layer(
    files: Iterable[tuple[str, bytes]],
    executables: frozenset[str] = frozenset(),
    links: dict[str, str] | None = None,
    chunk: int = 64 * 1024,
) -> StargzLayer:
    """`files` in order; `links` maps a hard link's path to its target (after the files)."""
    out = bytearray()
    pending = bytearray()  # tar bytes of the member being written

    def flush() -> None:
        if pending:
            out.extend(gzip.compress(bytes(pending), mtime=0))
            pending.clear()

    entries: list[dict[str, Any]] = []
    landmark = [(".no.prefetch.landmark", b"\x0f")]  # the spec's no-prefetch landmark
    for path, data in [*landmark, *files]:
        info = tarfile.TarInfo(path)
        info.size, info.mode = len(data), 0o755 if path in executables else 0o644
        pending.extend(_header(info))
        entry: dict[str, Any] = {"name": path, "type": "reg", "size": len(data)}
        entry["mode"], entry["uid"], entry["gid"] = 0o100000 | info.mode, 0, 0
        entries.append(entry)
        if not data:
            continue
        entry["digest"] = _sha256(data)
        pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
        for number, piece in enumerate(pieces):
            flush()  # every chunk of contents starts a member
            described: dict[str, Any] = entry if number == 0 else {"name": path, "type": "chunk"}
            described["offset"] = len(out)
            described["chunkOffset"] = number * chunk
            described["chunkSize"] = len(piece) if number < len(pieces) - 1 else 0
            described["chunkDigest"] = _sha256(piece)
            if number:
                entries.append(described)
            pending.extend(piece)
        pending.extend(b"\0" * (-len(data) % 512))
    for path, target in (links or {}).items():
        info = tarfile.TarInfo(path)
        info.type, info.linkname = tarfile.LNKTYPE, target
        pending.extend(_header(info))
        entries.append({"name": path, "type": "hardlink", "linkName": target, "mode": 0o100644})
    flush()
    toc = {"version": 1, "entries": entries}
    text = json.dumps(toc).encode()
    info = tarfile.TarInfo("stargz.index.json")
    info.size = len(text)
    toc_offset = len(out)
    member = _header(info) + text + b"\0" * (-len(text) % 512) + b"\0" * 1024
    out.extend(gzip.compress(member, mtime=0))
    out.extend(footer(toc_offset))
    return StargzLayer(bytes(out), {TOC_DIGEST: _sha256(text)}, toc, toc_offset)
