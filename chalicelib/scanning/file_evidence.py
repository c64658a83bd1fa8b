"""Which files of a layer carry packages inside them (executables, Java archives), and the
evidence read from one: a spooled copy of the file is searched and only the evidence kept."""

from __future__ import annotations

from typing import IO

from chalicelib.scanning import embedded
from chalicelib.scanning.cargo_auditable import read_cargo_auditable
from chalicelib.scanning.elf import MAGIC as ELF_MAGIC
from chalicelib.scanning.go_buildinfo import read_go_binary
from chalicelib.scanning.java_archive import is_java_archive, read_java_archive

ZIP_MAGIC = b"PK\x03\x04"
# An ELF header is 52 or 64 bytes; past MAX_BINARY a file is not read (Lambda's /tmp holds
# 512 MB by default, and the spool goes there past a few megabytes).
MIN_BINARY = 64
MAX_BINARY = 400 * 1024 * 1024


def is_candidate(path: str, mode: int, size: int) -> bool:
    if is_java_archive(path):
        return size <= MAX_BINARY
    return bool(mode & 0o111) and MIN_BINARY <= size <= MAX_BINARY


def worth_reading(path: str, head: bytes) -> bool:
    """From a file's first four bytes: an ELF executable, or a Java archive that is a zip."""
    return head == ELF_MAGIC or (head == ZIP_MAGIC and is_java_archive(path))


def evidence(path: str, file: IO[bytes]) -> bytes | None:
    """The kept bytes for `path` (see embedded), or None when it holds no package evidence;
    ScanInputError when it is a broken executable or archive."""
    head = file.read(4)
    file.seek(0)
    if head == ELF_MAGIC:
        go = read_go_binary(file)
        cargo = read_cargo_auditable(file)
        if go is None and cargo is None:
            return None
        return embedded.encode("binary", {"go": go, "cargo": cargo})
    if head == ZIP_MAGIC and is_java_archive(path):
        artifacts = read_java_archive(file, path.rpartition("/")[2])
        return embedded.encode("java", {"artifacts": artifacts}) if artifacts else None
    return None
