"""RPM's NDB `Packages.db` (SUSE 15+, optional on RHEL 8): rpm's own format, read here from
bytes. Little-endian throughout: a 32-byte file header (magic `RpmP`, version 0, generation,
number of slot pages) sharing the first of the 4 KiB slot pages with 16-byte slots (magic
`Slot`, package index, block offset, block count; offset 0 is a free slot), then blobs in
16-byte blocks, each a 16-byte head (magic `BlbS`, package index, generation, length), the
header blob, zero padding and a 12-byte tail (adler32 of all before it, length, `BlbE`)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.rpm_package import packages_from_blobs

FILE_MAGIC = b"RpmP"
SLOT_MAGIC = b"Slot"
BLOB_MAGIC = b"BlbS"
TAIL_MAGIC = b"BlbE"
PAGE_SIZE = 4096
SLOT_SIZE = BLOCK_SIZE = 16
FIRST_SLOT = 2  # the file header takes the first 32 bytes of the slot pages
_HEAD = struct.Struct("<4sIII")  # magic, package index, generation, blob length
_TAIL = struct.Struct("<II4s")  # adler32, blob length, magic


def _slots(data: bytes) -> Iterator[tuple[int, int, int]]:
    if len(data) < 32 or data[:4] != FILE_MAGIC:
        raise ScanInputError("rpm Packages.db: not an NDB package database")
    version, _generation, slot_pages = struct.unpack_from("<III", data, 4)
    if version != 0 or slot_pages == 0 or slot_pages * PAGE_SIZE > len(data):
        raise ScanInputError("rpm Packages.db: unknown version or slot table past the file")
    first_block = slot_pages * PAGE_SIZE // BLOCK_SIZE
    for number in range(FIRST_SLOT, slot_pages * PAGE_SIZE // SLOT_SIZE):
        magic, index, offset, count = _HEAD.unpack_from(data, number * SLOT_SIZE)
        if magic != SLOT_MAGIC:
            raise ScanInputError("rpm Packages.db: slot table entry without its magic")
        if not offset:
            continue  # a free slot
        if not index or not count or offset < first_block:
            raise ScanInputError("rpm Packages.db: slot names no package or lies in the table")
        yield index, offset, count


def _blob(data: bytes, index: int, offset: int, count: int) -> bytes:
    start, room = offset * BLOCK_SIZE, count * BLOCK_SIZE
    if start + room > len(data) or room < _HEAD.size + _TAIL.size:
        raise ScanInputError(f"rpm Packages.db: package {index} lies past the file")
    magic, owner, _generation, length = _HEAD.unpack_from(data, start)
    if magic != BLOB_MAGIC or owner != index or _HEAD.size + length + _TAIL.size > room:
        raise ScanInputError(f"rpm Packages.db: package {index}: no blob where its slot says")
    checksum, tail_length, tail_magic = _TAIL.unpack_from(data, start + room - _TAIL.size)
    if tail_magic != TAIL_MAGIC or tail_length != length:
        raise ScanInputError(f"rpm Packages.db: package {index}: blob tail does not match")
    if zlib.adler32(data[start : start + room - _TAIL.size]) != checksum:
        raise ScanInputError(f"rpm Packages.db: package {index}: checksum mismatch")
    return data[start + _HEAD.size : start + _HEAD.size + length]


def header_blobs(data: bytes) -> Iterator[bytes]:
    for index, offset, count in _slots(data):
        yield _blob(data, index, offset, count)


def parse_rpm_ndb(data: bytes, path: str, distro: OsRelease | None) -> list[Package]:
    return packages_from_blobs(header_blobs(data), path, distro)
