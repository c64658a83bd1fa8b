"""Just enough of ELF (the System V ABI's object format) to find a named section of an
executable: the section header table and its string table, in either class and byte order.
The Go and Rust readers need one section each, never the code."""

from __future__ import annotations

import struct
from typing import IO

from chalicelib.scanning.errors import ScanInputError

MAGIC = b"\x7fELF"
# A section this large is not metadata; refusing it bounds what a hostile binary makes us read.
MAX_SECTION = 16 * 1024 * 1024


def _read(file: IO[bytes], offset: int, size: int) -> bytes:
    if offset + size > file.seek(0, 2):
        raise ScanInputError("ELF: structure past the end of the file")
    file.seek(offset)
    data = file.read(size)
    if len(data) != size:
        raise ScanInputError("ELF: structure past the end of the file")
    return data


def section(file: IO[bytes], wanted: str) -> bytes | None:
    """The bytes of section `wanted`, None if the binary has none; ScanInputError when the
    header tables are broken."""
    ident = _read(file, 0, 16)
    if ident[:4] != MAGIC or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise ScanInputError("not an ELF file")
    wide, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
    if wide:
        table, entry_size, count, names = struct.unpack(order + "Q10xHHH", _read(file, 40, 24))
        layout = struct.Struct(order + "II16xQQ24x")
    else:
        table, entry_size, count, names = struct.unpack(order + "I10xHHH", _read(file, 32, 20))
        layout = struct.Struct(order + "II8xII16x")
    if count == 0 or entry_size != layout.size or names >= count:
        return None
    headers = _read(file, table, count * entry_size)
    entries = [layout.unpack_from(headers, i * entry_size) for i in range(count)]
    _, _, names_offset, names_size = entries[names]
    if names_size > MAX_SECTION:
        raise ScanInputError("ELF: section name table too large")
    strings = _read(file, names_offset, names_size)
    target = wanted.encode()
    for name, kind, offset, size in entries:
        end = strings.find(b"\0", name)
        if strings[name:end] != target or kind == 8:  # SHT_NOBITS holds no bytes
            continue
        if size > MAX_SECTION:
            raise ScanInputError(f"ELF: section {wanted} too large")
        return _read(file, offset, size)
    return None
