"""eStargz layers (stargz-snapshotter, `nerdctl image convert --estargz`): a gzip tar stream in
which each regular file's contents start a gzip member of their own (large ones several:
`chunk` entries), with a table of contents (`stargz.index.json`, the archive's last entry, in
a member of its own) and a 51-byte footer, an empty gzip member whose extra field holds the
TOC's offset. The layer's descriptor carries the TOC's digest
(`containerd.io/snapshot/stargz/toc.digest`). The blob is still one valid gzip tar stream.

So a scan reads the footer and the TOC by two ranged GETs, checks the TOC against the
descriptor's digest, and then reads only the files it wants, as for zstd:chunked
(zstd_chunked.py `read_chunked_layer`, which this feeds with the TOC in its form and a gzip
decompressor). A file's range runs from its member to the next member's start; each file
read is checked against its TOC digest (`digest`, or `chunkDigest` for a file of one chunk).
Anything that does not check out raises ScanInputError and the caller reads the layer whole."""

from __future__ import annotations

import bisect
import gzip
import hashlib
import io
import json
import struct
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, cast

from chalicelib.scanning.errors import ScanInputError

TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest"
TOC_NAME = "stargz.index.json"
FOOTER_SIZE = 51
_FOOTER_MAGIC = b"STARGZ"
# A TOC lists every file of a layer: a few MB for a large one; past this it is not trusted.
MAX_TOC = 64 * 1024 * 1024


@dataclass(frozen=True)
class Stargz:
    size: int  # of the blob, from its descriptor: the footer is its last 51 bytes
    toc_digest: str  # sha256:<hex> of the TOC's JSON


def stargz_layer(annotations: Mapping[str, Any], size: int) -> Stargz | None:
    """An eStargz layer's TOC digest and size; None for any other layer."""
    digest = annotations.get(TOC_DIGEST)
    if not isinstance(digest, str) or not digest.startswith("sha256:") or size <= FOOTER_SIZE:
        return None
    return Stargz(size, digest)


def toc_offset(footer: bytes, size: int) -> int:
    """Where the TOC's member starts, from the footer: a gzip header with the FEXTRA flag, an
    extra field `SG` of 22 bytes (`%016x` of the offset, then `STARGZ`) and an empty body."""
    if len(footer) != FOOTER_SIZE or footer[:4] != b"\x1f\x8b\x08\x04":
        raise ScanInputError("eStargz: the layer does not end with a footer")
    xlen, si, length = struct.unpack("<H2sH", footer[10:16])
    field = footer[16:38]
    if (xlen, si, length) != (26, b"SG", 22) or field[16:] != _FOOTER_MAGIC:
        raise ScanInputError("eStargz: the footer's extra field is not STARGZ's")
    try:
        offset = int(field[:16], 16)
        empty = gzip.decompress(footer)
    except (ValueError, OSError, EOFError, zlib.error) as error:
        raise ScanInputError(f"eStargz: the footer is not readable: {error}") from error
    if empty or not 0 <= offset < size - FOOTER_SIZE:
        raise ScanInputError("eStargz: the footer points outside the layer")
    return offset


def parse_toc(member: bytes, toc_digest: str) -> list[dict[str, Any]]:
    """The TOC's entries from its member (the `stargz.index.json` tar entry and the end of the
    archive), after checking the JSON against the descriptor's digest."""
    if len(member) > MAX_TOC:
        raise ScanInputError("eStargz: the TOC is too large")
    try:
        # Bounded: a TOC's member is its header, the JSON and the end of the archive.
        data = gzip_reader(io.BytesIO(member)).read(MAX_TOC + 64 * 1024)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            info = tar.next()
            if info is None or info.name != TOC_NAME or not info.isfile():
                raise ScanInputError(f"eStargz: the TOC member holds no {TOC_NAME}")
            extracted = tar.extractfile(info)
            text = extracted.read() if extracted is not None else b""
    except ScanInputError:
        raise
    except Exception as error:  # gzip, tar errors
        raise ScanInputError(f"eStargz: the TOC is not readable: {error}") from error
    if "sha256:" + hashlib.sha256(text).hexdigest() != toc_digest:
        raise ScanInputError("eStargz: the TOC does not match the layer's toc.digest")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ScanInputError(f"eStargz: the TOC is not JSON: {error}") from error
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ScanInputError("eStargz: the TOC has no entries")
    return [e for e in entries if isinstance(e, dict)]


def _offset(entry: dict[str, Any]) -> int:
    value = entry.get("offset")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ScanInputError(f"eStargz TOC: bad offset for {entry.get('name')!r}")
    return value


def chunked_entries(entries: list[dict[str, Any]], toc_at: int) -> list[dict[str, Any]]:
    """The TOC in zstd:chunked's form: each regular file's compressed range (from its first
    member to where the member after its last chunk starts) and the digest of its whole
    contents; chunks after the first mark where the first one ends."""
    starts = sorted(
        {_offset(e) for e in entries if e.get("type") in ("reg", "chunk") and e.get("size", 1)}
        | {toc_at}
    )
    if starts[-1] != toc_at:
        raise ScanInputError("eStargz TOC: a file's member starts after the TOC")

    def end_of(offset: int) -> int:
        return starts[bisect.bisect_right(starts, offset)]

    converted: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        kind = entry.get("type")
        if kind == "chunk":
            converted.append({"type": "chunk", "name": entry.get("name"), "offset": _offset(entry)})
            continue
        if kind != "reg" or not entry.get("size"):
            converted.append(entry)
            continue
        chunks = [entry]
        for later in entries[index + 1 :]:
            if later.get("type") != "chunk" or later.get("name") != entry.get("name"):
                break
            chunks.append(later)
        digest, first = entry.get("digest"), entry.get("chunkDigest")
        if len(chunks) == 1 and digest and first and digest != first:
            raise ScanInputError(f"eStargz TOC: two digests for {entry.get('name')!r}")
        whole = digest or (first if len(chunks) == 1 else None)
        if not isinstance(whole, str):
            raise ScanInputError(f"eStargz TOC: no digest for {entry.get('name')!r}")
        converted.append(
            {
                **entry,
                "digest": whole,
                "offset": _offset(entry),
                "endOffset": end_of(_offset(chunks[-1])),
            }
        )
    return converted


def gzip_reader(source: IO[bytes]) -> IO[bytes]:
    """A range's members, decompressed one after the other."""
    return cast(IO[bytes], gzip.GzipFile(fileobj=source, mode="rb"))
