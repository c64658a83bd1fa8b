"""Build real layers in tests: tar streams (gzip, zstd or plain) of files, whiteouts and links,
as an image builder would write them."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterable

import zstandard

# (path, content) for a regular file; content None for a directory; ("link", target) tuples
# are hard links.
Entry = tuple[str, bytes | None] | tuple[str, str, str]


def tar_bytes(entries: Iterable[Entry], executables: frozenset[str] = frozenset()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for entry in entries:
            info = tarfile.TarInfo(entry[0])
            if len(entry) == 3:
                info.type = tarfile.LNKTYPE
                info.linkname = entry[2]
                archive.addfile(info)
                continue
            content = entry[1]
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                archive.addfile(info)
                continue
            info.size = len(content)
            info.mode = 0o755 if entry[0] in executables else 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def layer(
    entries: Iterable[Entry], compression: str = "gzip", executables: frozenset[str] = frozenset()
) -> bytes:
    """`executables` are the paths given mode 0755 (every other file is 0644)."""
    raw = tar_bytes(entries, executables)
    if compression == "gzip":
        return gzip.compress(raw, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(raw)
    return raw


def stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
