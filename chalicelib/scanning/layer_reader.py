"""Read one layer as a tar stream, in a single forward pass over a file-like object (an S3 body
works), keeping only wanted files and whiteouts. Compression is sniffed from the first bytes, so
a layer whose media type lies (or says only `tar`) still reads."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import tempfile
import zlib
from typing import IO, BinaryIO, cast

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.file_evidence import evidence, is_candidate, worth_reading
from chalicelib.scanning.layer_changes import LayerChanges
from chalicelib.scanning.wanted import MAX_KEPT_FILE, is_wanted, normalise

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
SPOOL_IN_MEMORY = 8 * 1024 * 1024


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read to sniff the compression."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def decompressed(source: IO[bytes]) -> IO[bytes]:
    """The tar bytes of a gzip, zstd or uncompressed layer, as a forward-only stream."""
    head = source.read(4)
    stream = io.BufferedReader(_Prefixed(head, source), buffer_size=1024 * 1024)
    if head.startswith(_GZIP_MAGIC):
        return cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
    if head.startswith(_ZSTD_MAGIC):
        # Imported here: only zstd layers pay for it.
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
        return cast(IO[bytes], io.BufferedReader(cast(BinaryIO, reader), 1024 * 1024))
    return stream


def _record_whiteout(changes: LayerChanges, path: str) -> None:
    parent, _, base = path.rpartition("/")
    if base == OPAQUE_MARKER:
        changes.opaque.add(parent)
        return
    hidden = base[len(WHITEOUT_PREFIX) :]
    if not hidden:
        raise ScanInputError(f"whiteout {path!r} names nothing to delete")
    changes.deleted.add(f"{parent}/{hidden}" if parent else hidden)


def keep_evidence(changes: LayerChanges, path: str, extracted: IO[bytes]) -> None:
    """Spool an executable or archive (kept in memory up to a few MB, on disk past that) and
    keep only the package evidence found in it; a file that is neither costs four bytes."""
    head = extracted.read(4)
    if not worth_reading(path, head):
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        spool.write(head)
        shutil.copyfileobj(extracted, spool, 1024 * 1024)
        spool.seek(0)
        try:
            found = evidence(path, spool)
        except ScanInputError as error:
            changes.problems.append(f"{path}: {error}")
            return
    if found is not None:
        changes.files[path] = found


def read_layer(source: IO[bytes]) -> LayerChanges:
    """One pass over the layer; raises ScanInputError for anything that is not a tar layer."""
    changes = LayerChanges()
    try:
        with tarfile.open(fileobj=decompressed(source), mode="r|") as archive:
            for member in archive:
                path = normalise(member.name)
                base = path.rpartition("/")[2]
                if base.startswith(WHITEOUT_PREFIX):
                    _record_whiteout(changes, path)
                    continue
                wanted = is_wanted(path)
                if member.islnk():
                    # A hard link to a file kept earlier in this same layer.
                    target = changes.files.get(normalise(member.linkname))
                    if target is not None:
                        changes.files[path] = target
                    continue
                if not member.isfile():
                    continue
                if wanted:
                    if member.size > MAX_KEPT_FILE:
                        changes.skipped.append(path)
                        continue
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        changes.files[path] = extracted.read()
                elif is_candidate(path, member.mode, member.size):
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        keep_evidence(changes, path, extracted)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ScanInputError(f"layer is not a readable tar stream: {error}") from error
    except Exception as error:
        # zstandard raises its own ZstdError; keep this module's one error type.
        if type(error).__name__ == "ZstdError":
            raise ScanInputError(f"layer is not a readable zstd stream: {error}") from error
        raise
    return changes
