"""Just enough of ELF (the System V ABI's object format) to find a named section of an
executable: the section header table and its string table, in either class and byte order,
and the bytes at an address a section is loaded at. The Go and Rust readers need one section
each (and old Go binaries a few strings it points to), never the code."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

from chalicelib.scanning.errors import ScanInputError

MAGIC = b"\x7fELF"
# A section this large is not metadata; refusing it bounds what a hostile binary makes us read.
MAX_SECTION = 16 * 1024 * 1024
_NOBITS = 8  # SHT_NOBITS: a section that takes no room in the file (.bss)


def _read(file: IO[bytes], offset: int, size: int) -> bytes:
    if offset + size > file.seek(0, 2):
        raise ScanInputError("ELF: structure past the end of the file")
    file.seek(offset)
    data = file.read(size)
    if len(data) != size:
        raise ScanInputError("ELF: structure past the end of the file")
    return data


@dataclass(frozen=True)
class Section:
    name: bytes
    kind: int
    address: int  # where the loader maps it (0 for sections not loaded)
    offset: int
    size: int


def sections(file: IO[bytes]) -> list[Section]:
    """The section header table, names resolved; ScanInputError when it is broken."""
    ident = _read(file, 0, 16)
    if ident[:4] != MAGIC or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise ScanInputError("not an ELF file")
    wide, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
    if wide:
        table, entry_size, count, names = struct.unpack(order + "Q10xHHH", _read(file, 40, 24))
        layout = struct.Struct(order + "II8xQQQ24x")
    else:
        table, entry_size, count, names = struct.unpack(order + "I10xHHH", _read(file, 32, 20))
        layout = struct.Struct(order + "II4xIII16x")
    if count == 0 or entry_size != layout.size or names >= count:
        return []
    headers = _read(file, table, count * entry_size)
    entries = [layout.unpack_from(headers, i * entry_size) for i in range(count)]
    _, _, _, names_offset, names_size = entries[names]
    if names_size > MAX_SECTION:
        raise ScanInputError("ELF: section name table too large")
    strings = _read(file, names_offset, names_size)
    return [
        Section(strings[name : strings.find(b"\0", name)], kind, address, offset, size)
        for name, kind, address, offset, size in entries
    ]


def section(file: IO[bytes], wanted: str) -> bytes | None:
    """The bytes of section `wanted`, None if the binary has none; ScanInputError when the
    header tables are broken."""
    target = wanted.encode()
    for found in sections(file):
        if found.name != target or found.kind == _NOBITS:
            continue
        if found.size > MAX_SECTION:
            raise ScanInputError(f"ELF: section {wanted} too large")
        return _read(file, found.offset, found.size)
    return None


def read_address(file: IO[bytes], table: list[Section], address: int, size: int) -> bytes:
    """`size` bytes at the virtual `address` a loaded section holds (Go before 1.18 points at
    its build info this way); ScanInputError when no section with file bytes holds them."""
    if size > MAX_SECTION:
        raise ScanInputError("ELF: data too large")
    for found in table:
        if found.kind == _NOBITS or not found.address:
            continue
        if found.address <= address and address + size <= found.address + found.size:
            return _read(file, found.offset + address - found.address, size)
    raise ScanInputError(f"ELF: address {address:#x} is in no section")
