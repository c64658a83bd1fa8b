"""What is pushed: blobs as byte ranges of files on disk, manifests as bytes.

A blob is never held whole in memory: it is a (file, offset, size) range read in pieces, which is
how both a layout directory (offset 0) and a tar member (its data offset) are served.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

READ_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileRange:
    """`size` bytes of `path` from `offset`."""

    path: Path
    offset: int
    size: int

    def chunks(self, start: int = 0, piece: int = READ_SIZE) -> Iterator[bytes]:
        """The bytes from `start` (relative to the range) to its end, `piece` at a time."""
        with self.path.open("rb") as file:
            file.seek(self.offset + start)
            left = self.size - start
            while left > 0:
                data = file.read(min(piece, left))
                if not data:
                    raise OSError(f"{self.path} ended {left} bytes early")
                left -= len(data)
                yield data

    def read(self, start: int, length: int) -> bytes:
        """`length` bytes from `start` (relative to the range): one upload chunk."""
        with self.path.open("rb") as file:
            file.seek(self.offset + start)
            data = file.read(length)
        if len(data) != length:
            raise OSError(f"{self.path} ended early at {start + len(data)}")
        return data

    def open(self, start: int = 0) -> RangeReader:
        """A file object over the range from `start`, for streaming a request body."""
        return RangeReader(self, start)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for data in self.chunks():
            digest.update(data)
        return "sha256:" + digest.hexdigest()

    def head(self, length: int) -> bytes:
        return self.read(0, min(length, self.size))


class RangeReader(io.RawIOBase):
    """A readable file object limited to a FileRange (http.client streams it as a body)."""

    def __init__(self, source: FileRange, start: int) -> None:
        super().__init__()
        self._file = source.path.open("rb")
        self._file.seek(source.offset + start)
        self._left = source.size - start

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(wanted)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()
        super().close()


@dataclass(frozen=True, slots=True)
class Blob:
    """A config or layer to push: its descriptor and where its bytes are."""

    digest: str
    size: int
    media_type: str
    content: FileRange = field(repr=False)


@dataclass(frozen=True, slots=True)
class Manifest:
    """A manifest or index to push, its exact bytes (the digest is of these bytes)."""

    digest: str
    media_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class PushPlan:
    """Everything one push sends: blobs (each once), then manifests in order, the top one last.

    Children come before the index that lists them, as a registry checks that what a manifest
    references is there."""

    blobs: tuple[Blob, ...]
    manifests: tuple[Manifest, ...]
    description: str

    @property
    def top(self) -> Manifest:
        return self.manifests[-1]

    @property
    def total_bytes(self) -> int:
        return sum(blob.size for blob in self.blobs)


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
