"""zstd:chunked layers (containers/storage; `podman push --compression-format zstd:chunked`):
a zstd tar stream whose files each start a new zstd frame, with a table of contents (TOC) near
the end that gives each file's name, mode, size, sha256 and compressed byte range. The layer's
descriptor names where the TOC is (`...zstd-chunked.manifest-position`:
`offset:length:uncompressed length:type`) and its sha256 (`...manifest-checksum`).

So a scan reads the TOC, then only the files it wants (package databases) and the executables
and archives worth searching, each by its own ranged read, and never the rest of the layer.
Every file read is checked against the TOC's size and digest; a TOC that does not check out
raises ScanInputError and the caller reads the layer whole instead.

The TOC is what zstd:chunked-aware runtimes extract; a layer whose tar stream holds files its
TOC does not list (only a hand-made layer would) is scanned as the TOC describes it."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.file_evidence import is_candidate, worth_reading
from chalicelib.scanning.layer_changes import LayerChanges
from chalicelib.scanning.layer_reader import OPAQUE_MARKER, WHITEOUT_PREFIX, keep_evidence
from chalicelib.scanning.wanted import MAX_KEPT_FILE, is_wanted, normalise

# containers/storage renamed the annotations; layers pushed by either name exist.
_PREFIXES = ("io.github.containers.zstd-chunked.", "io.containers.zstd-chunked.")
# A TOC lists every file of a layer: a few MB for a large one; past this it is not trusted.
MAX_TOC = 64 * 1024 * 1024
_TOC_TYPE = 1  # the manifest's type in the position annotation: zstd-compressed JSON
# Files closer than this are read by one GET (a GET costs what ~1 MB of transfer does).
GAP = 1024 * 1024
# An executable past this is read only if its first frame shows an ELF file or a zip.
HEAD_FIRST = 1024 * 1024
# Enough of a first frame or member to decompress its first bytes: a zstd block holds at
# most 128 KiB; deflate yields output long before. eStargz's first chunk is 4 MiB by default.
HEAD_WINDOW = 132 * 1024

# Reads `[start, end)` of the layer blob.
Fetch = Callable[[int, int], IO[bytes]]
# Decompresses a file's range (zstd frames here; gzip members for eStargz, estargz.py).
Decompress = Callable[[IO[bytes]], IO[bytes]]


@dataclass(frozen=True)
class TocPosition:
    offset: int
    length: int
    checksum: str  # sha256:<hex> of the compressed TOC


@dataclass(frozen=True)
class _File:
    name: str
    mode: int
    size: int
    digest: str
    start: int
    end: int
    first_end: int  # where its first frame ends: enough to read its first bytes


def toc_position(annotations: Mapping[str, Any]) -> TocPosition | None:
    """Where a zstd:chunked layer's TOC is; None for any other layer."""
    for prefix in _PREFIXES:
        position, checksum = (
            annotations.get(prefix + "manifest-position"),
            annotations.get(prefix + "manifest-checksum"),
        )
        if not isinstance(position, str) or not isinstance(checksum, str):
            continue
        fields = position.split(":")
        if len(fields) != 4 or not all(f.isdigit() for f in fields):
            return None
        offset, length, _, kind = (int(f) for f in fields)
        if kind != _TOC_TYPE or not 0 < length <= MAX_TOC or not checksum.startswith("sha256:"):
            return None
        return TocPosition(offset, length, checksum)
    return None


def _zstd_reader(source: IO[bytes]) -> IO[bytes]:
    import zstandard

    reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
    return cast(IO[bytes], io.BufferedReader(cast(BinaryIO, reader), 1024 * 1024))


def parse_toc(compressed: bytes, checksum: str) -> list[dict[str, Any]]:
    """The TOC's entries, after checking the compressed bytes against the descriptor's sum."""
    if "sha256:" + hashlib.sha256(compressed).hexdigest() != checksum:
        raise ScanInputError("zstd:chunked TOC does not match its checksum")
    try:
        text = _zstd_reader(io.BytesIO(compressed)).read(MAX_TOC + 1)
        document = json.loads(text)
    except Exception as error:  # zstandard's ZstdError, JSON errors
        raise ScanInputError(f"zstd:chunked TOC is not readable: {error}") from error
    entries = document.get("entries") if isinstance(document, dict) else None
    if len(text) > MAX_TOC or not isinstance(entries, list):
        raise ScanInputError("zstd:chunked TOC has no entries")
    return [e for e in entries if isinstance(e, dict)]


def _integer(entry: dict[str, Any], key: str) -> int:
    value = entry.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ScanInputError(f"zstd:chunked TOC: bad {key} for {entry.get('name')!r}")
    return value


@dataclass(frozen=True)
class _Link:
    name: str
    target: str


def _files(entries: list[dict[str, Any]], changes: LayerChanges) -> list[_File | _Link]:
    """Regular files with their ranges and hard links, in TOC order; whiteouts recorded in
    `changes` (they hide lower layers only, wherever they are listed)."""
    files: list[_File | _Link] = []
    for entry in entries:
        kind, raw = entry.get("type"), entry.get("name")
        if not isinstance(raw, str):
            raise ScanInputError("zstd:chunked TOC: an entry without a name")
        path = normalise(raw)
        last = files[-1] if files else None
        if kind == "chunk":
            # A large file's later frames: its first frame ends where the second starts.
            if isinstance(last, _File) and last.name == path and last.first_end == last.end:
                files[-1] = _File(**{**last.__dict__, "first_end": _integer(entry, "offset")})
            continue
        parent, _, base = path.rpartition("/")
        if base == OPAQUE_MARKER:
            changes.opaque.add(parent)
        elif base.startswith(WHITEOUT_PREFIX):
            hidden = base[len(WHITEOUT_PREFIX) :]
            if not hidden:
                raise ScanInputError(f"whiteout {path!r} names nothing to delete")
            changes.deleted.add(f"{parent}/{hidden}" if parent else hidden)
        elif kind == "hardlink" and isinstance(entry.get("linkName"), str):
            files.append(_Link(path, normalise(entry["linkName"])))
        elif kind == "reg":
            size = _integer(entry, "size")
            start, end = _integer(entry, "offset"), _integer(entry, "endOffset")
            digest = entry.get("digest")
            if size and (end <= start or not isinstance(digest, str)):
                raise ScanInputError(f"zstd:chunked TOC: no range for {path!r}")
            mode = _integer(entry, "mode")
            files.append(_File(path, mode, size, str(digest or ""), start, end, end))
    return files


class _Checked(io.RawIOBase):
    """A file's first `size` decompressed bytes (a range may end with the tar padding after
    them), hashed as they are read; `verify` reads to the end and checks them."""

    def __init__(self, source: IO[bytes], size: int) -> None:
        self._source, self._hash, self._left, self.size = source, hashlib.sha256(), size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._source.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._hash.update(data)
        self._left -= len(data)
        self.size += len(data)
        return len(data)

    def verify(self, file: _File) -> None:
        while self.read(1024 * 1024):
            pass
        if self.size != file.size or "sha256:" + self._hash.hexdigest() != file.digest:
            raise ScanInputError(f"zstd:chunked: {file.name!r} does not match its TOC digest")


class _Window(io.RawIOBase):
    """The next `size` bytes of a stream, and no more."""

    def __init__(self, source: IO[bytes], size: int) -> None:
        self._source, self._left = source, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._source.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def drain(self) -> None:
        while self._left and self.read(min(self._left, 1024 * 1024)):
            pass
        if self._left:
            raise ScanInputError("zstd:chunked: the layer ends before a file's range")


def _head(file: _File, fetch: Fetch, decompress: Decompress) -> bytes:
    source = fetch(file.start, min(file.first_end, file.start + HEAD_WINDOW))
    try:
        return decompress(source).read(4)
    except Exception as error:  # zstandard's ZstdError, gzip's errors
        raise ScanInputError(f"zstd:chunked: {file.name!r}: {error}") from error
    finally:
        source.close()


def _groups(files: list[_File]) -> list[list[_File]]:
    """Files by offset, those less than GAP apart in one group: one GET reads a run of
    package files or executables (they sit together in a layer), at the cost of the gaps."""
    groups: list[list[_File]] = []
    for file in sorted(files, key=lambda f: f.start):
        if groups and file.start >= groups[-1][-1].end and file.start - groups[-1][-1].end < GAP:
            groups[-1].append(file)
        else:
            groups.append([file])
    return groups


def read_chunked_layer(
    entries: list[dict[str, Any]], fetch: Fetch, decompress: Decompress = _zstd_reader
) -> LayerChanges:
    """What read_layer keeps of the same layer, reading only the files it keeps or searches:
    package files whole, executables and archives whole unless they are large and their
    first frame says they are neither (ELF, zip). Runs of nearby files share a GET.
    `entries` in this TOC's form (eStargz's are converted to it: estargz.py)."""
    changes = LayerChanges()
    listed = _files(entries, changes)
    reads: list[_File] = []
    for file in listed:
        if not isinstance(file, _File) or not file.size:
            continue
        if is_wanted(file.name):
            if file.size > MAX_KEPT_FILE:
                changes.skipped.append(file.name)
            else:
                reads.append(file)
        elif is_candidate(file.name, file.mode, file.size) and (
            file.size <= HEAD_FIRST or worth_reading(file.name, _head(file, fetch, decompress))
        ):
            reads.append(file)
    found: dict[int, bytes] = {}  # by entry: a path listed twice is the later entry's
    evidence = LayerChanges()
    for group in _groups(reads):
        source = fetch(group[0].start, group[-1].end)
        try:
            at = group[0].start
            for file in group:
                _Window(source, file.start - at).drain()
                window = _Window(source, file.end - file.start)
                stream = cast(IO[bytes], window)
                if is_wanted(file.name):
                    found[id(file)] = _read(file, stream, None, decompress)
                else:
                    _read(file, stream, evidence, decompress)
                window.drain()
                at = file.end
        finally:
            source.close()
    changes.problems.extend(evidence.problems)
    for file in listed:  # in the TOC's order, as the tar reader meets them
        if isinstance(file, _Link):  # a hard link to a file kept earlier in this layer
            target = changes.files.get(file.target)
            if target is not None:
                changes.files[file.name] = target
        elif id(file) in found:
            changes.files[file.name] = found[id(file)]
        elif file.name in evidence.files:
            changes.files[file.name] = evidence.files[file.name]
        elif is_wanted(file.name) and file.size == 0:
            changes.files[file.name] = _read(file, io.BytesIO(), None, decompress)
    return changes


def _read(
    file: _File,
    source: IO[bytes],
    evidence_to: LayerChanges | None,
    decompress: Decompress = _zstd_reader,
) -> bytes:
    """The file's bytes (a wanted file), or its evidence kept in `evidence_to` (an executable
    or archive, spooled as the tar reader does); checked against the TOC either way."""
    if file.size == 0:
        if file.digest and file.digest != "sha256:" + hashlib.sha256(b"").hexdigest():
            raise ScanInputError(f"zstd:chunked: {file.name!r} does not match its TOC digest")
        return b""
    try:
        checked = _Checked(decompress(source), file.size)
        reader = cast(IO[bytes], io.BufferedReader(checked))
        if evidence_to is None:
            data = reader.read(file.size + 1)
        else:
            data = b""
            keep_evidence(evidence_to, file.name, reader)
        checked.verify(file)
        return data
    except ScanInputError:
        raise
    except Exception as error:  # zstandard's ZstdError, gzip's errors
        raise ScanInputError(f"zstd:chunked: {file.name!r}: {error}") from error
