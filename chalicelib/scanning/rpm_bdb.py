"""RPM's BerkeleyDB `Packages` (RHEL <= 8, CentOS 7, Amazon Linux 2): a Berkeley DB *hash*
database whose values are header blobs keyed by instance number. Read from bytes in pure
Python from the on-disk page layout, because libdb is not in Lambda (and is AGPL since 6.0).

Layout (Berkeley DB 4.x/5.x, `db_page.h`): page 0 is the hash metadata page (magic 0x061561,
page size, last page); every other page starts with a 26-byte header (number, prev, next,
entry count, high free offset, level, type). Hash pages (types 2 and 13) hold key/data pairs
through an array of 2-byte item offsets after the header; an item starts with its kind: 1 is
the bytes themselves (length up to the previous item's offset), 3 a reference to a chain of
overflow pages (type 7) holding `total length` bytes, each page's share of it at byte 26. All
integers are in the byte order of the machine that wrote the file, told by the magic."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.rpm_package import packages_from_blobs

HASH_MAGIC = 0x061561
_PAGE_HEADER = 26
_HASH_UNSORTED, _OVERFLOW, _HASH_META, _HASH = 2, 7, 8, 13
_KEYDATA, _OFFPAGE = 1, 3
_CHECKSUMMED = 0x01  # metaflags: pages carry a checksum and a larger header; rpm never sets it
_VALID_PAGE_SIZES = {512 << shift for shift in range(8)}  # 512 B .. 64 KiB


def _byte_order(data: bytes) -> str:
    if len(data) < 512:
        raise ScanInputError("rpm Packages: shorter than a Berkeley DB metadata page")
    for order in ("<", ">"):
        if struct.unpack_from(order + "I", data, 12)[0] == HASH_MAGIC:
            return order
    raise ScanInputError("rpm Packages: not a Berkeley DB hash database")


def _overflow(data: bytes, order: str, page_size: int, first: int, length: int) -> bytes:
    """The bytes of an off-page item, following its overflow pages."""
    pieces: list[bytes] = []
    total, page, seen = 0, first, set()
    while total < length:
        if page in seen or page <= 0 or (page + 1) * page_size > len(data):
            raise ScanInputError("rpm Packages: broken overflow chain")
        seen.add(page)
        start = page * page_size
        next_page, _, used, _, kind = struct.unpack_from(order + "IHHBB", data, start + 16)
        if kind != _OVERFLOW or used > page_size - _PAGE_HEADER:
            raise ScanInputError("rpm Packages: overflow chain reaches a page that is not one")
        pieces.append(data[start + _PAGE_HEADER : start + _PAGE_HEADER + used])
        total += used
        page = next_page
    if total != length:
        raise ScanInputError("rpm Packages: overflow chain longer than its item")
    return b"".join(pieces)


def _items(page: bytes, order: str) -> list[bytes]:
    """The raw items of one hash page (kind byte included), in index order."""
    (entries,) = struct.unpack_from(order + "H", page, 20)
    if _PAGE_HEADER + 2 * entries > len(page):
        raise ScanInputError("rpm Packages: hash page with more items than fit")
    offsets = struct.unpack_from(f"{order}{entries}H", page, _PAGE_HEADER)
    items = []
    end = len(page)
    for offset in offsets:
        if not _PAGE_HEADER + 2 * entries <= offset < end:
            raise ScanInputError("rpm Packages: hash item outside its page")
        items.append(page[offset:end])
        end = offset
    return items


def header_blobs(data: bytes) -> Iterator[bytes]:
    """Every value of the hash database but rpm's own counter (key 0)."""
    order = _byte_order(data)
    page_size, _, kind, flags = struct.unpack_from(order + "IBBB", data, 20)
    last_page = struct.unpack_from(order + "I", data, 32)[0]
    if page_size not in _VALID_PAGE_SIZES or kind != _HASH_META:
        raise ScanInputError("rpm Packages: impossible page size or not a hash database")
    if flags & _CHECKSUMMED or data[24]:
        raise ScanInputError("rpm Packages: checksummed or encrypted databases are not read")
    pages = min(last_page + 1, len(data) // page_size)
    for number in range(1, pages):
        page = data[number * page_size : (number + 1) * page_size]
        if page[25] not in (_HASH, _HASH_UNSORTED):
            continue
        items = _items(page, order)
        for key, value in zip(items[0::2], items[1::2], strict=False):
            if key[:1] == bytes([_KEYDATA]) and key[1:] == b"\0\0\0\0":
                continue  # rpm keeps its next instance number under key 0
            if value[:1] == bytes([_KEYDATA]):
                yield value[1:]
            elif value[:1] == bytes([_OFFPAGE]) and len(value) >= 12:
                first, length = struct.unpack_from(order + "II", value, 4)
                yield _overflow(data, order, page_size, first, length)


def parse_rpm_bdb(data: bytes, path: str, distro: OsRelease | None) -> list[Package]:
    return packages_from_blobs(header_blobs(data), path, distro)
