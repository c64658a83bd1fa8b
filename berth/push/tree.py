"""A source's files, wherever they are: a directory, or members of a tar file read in place.

An uncompressed tar stores each member's bytes contiguously, so a blob inside an oci-archive or a
`docker save` tarball is a FileRange of the tar itself: nothing is extracted or copied. A
compressed tarball (`docker save | gzip`) cannot be read in place; it is unpacked into a
temporary directory first.
"""

from __future__ import annotations

import gzip
import posixpath
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from berth.push.content import FileRange
from berth.push.errors import source_invalid

# A JSON file of a source (index.json, a manifest, a config) larger than this is not one.
MAX_METADATA_BYTES = 32 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Tree(Protocol):
    """Read-only files by relative POSIX name."""

    def file(self, name: str) -> FileRange | None: ...

    def names(self) -> list[str]: ...


def read_small(tree: Tree, name: str) -> bytes:
    """A metadata file's bytes (index.json, manifest.json, a manifest or config blob)."""
    found = tree.file(name)
    if found is None:
        raise source_invalid(f"{name} is missing")
    if found.size > MAX_METADATA_BYTES:
        raise source_invalid(f"{name} is {found.size} bytes: too large for metadata")
    return found.read(0, found.size)


class DirTree:
    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, name: str) -> FileRange | None:
        path = self.root / _clean(name)
        if not path.is_file():
            return None
        return FileRange(path, 0, path.stat().st_size)

    def names(self) -> list[str]:
        return sorted(
            str(p.relative_to(self.root).as_posix()) for p in self.root.rglob("*") if p.is_file()
        )


class TarTree:
    """The regular files of an uncompressed tar, as ranges of the tar file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._members: dict[str, FileRange] = {}
        links: dict[str, str] = {}
        try:
            with tarfile.open(path, "r:") as tar:
                for member in tar:
                    name = _clean(member.name)
                    if member.isreg():
                        self._members[name] = FileRange(path, member.offset_data, member.size)
                    elif member.islnk():
                        links[name] = _clean(member.linkname)
                    elif member.issym():
                        target = posixpath.join(posixpath.dirname(name), member.linkname)
                        links[name] = _clean(posixpath.normpath(target))
        except (tarfile.TarError, OSError) as error:
            raise source_invalid(f"{path} is not a readable tar: {error}") from None
        for name, target in links.items():
            if target in self._members:
                self._members[name] = self._members[target]

    def file(self, name: str) -> FileRange | None:
        return self._members.get(_clean(name))

    def names(self) -> list[str]:
        return sorted(self._members)


def _clean(name: str) -> str:
    cleaned = posixpath.normpath(name.lstrip("/")).removeprefix("./")
    if cleaned.startswith("../") or cleaned == "..":
        raise source_invalid(f"{name!r} points outside the source")
    return cleaned


def compression(path: Path) -> str | None:
    """'gzip' or 'zstd' if the file at `path` is compressed that way, else None."""
    with path.open("rb") as file:
        magic = file.read(4)
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic == _ZSTD_MAGIC:
        return "zstd"
    return None


@contextmanager
def open_tree(path: Path) -> Iterator[Tree]:
    """The tree of a directory, a tar, or a gzipped tar (unpacked to a temporary directory)."""
    if path.is_dir():
        yield DirTree(path)
        return
    if not path.is_file():
        raise source_invalid(f"{path} does not exist")
    kind = compression(path)
    if kind is None:
        yield TarTree(path)
        return
    if kind != "gzip":
        raise source_invalid(f"{path} is {kind}-compressed: decompress it first")
    scratch = Path(tempfile.mkdtemp(prefix="berth-push-"))
    try:
        try:
            with gzip.open(path, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError, EOFError) as error:
            raise source_invalid(f"{path} is not a readable gzipped tar: {error}") from None
        yield DirTree(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
