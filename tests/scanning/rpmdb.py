"""Write RPM databases in their real formats for tests: header blobs as rpm lays them out (index
entries over an aligned data store), stored in an sqlite database like the one rpm 4.16+ creates,
a Berkeley DB hash `Packages` (rpm <= 4.15) or an NDB `Packages.db` (SUSE)."""

from __future__ import annotations

import sqlite3
import struct
import zlib
from dataclasses import dataclass

_INT32, _STRING, _BIN, _STRING_ARRAY, _I18NSTRING = 4, 6, 7, 8, 9
HEADERIMMUTABLE = 63


@dataclass
class RpmFields:
    name: str
    version: str
    release: str
    arch: str = "x86_64"
    epoch: int | None = None
    source_rpm: str = ""
    license: str = "MIT"


def header_blob(fields: RpmFields) -> bytes:
    """Strings, an INT32 epoch aligned to 4, and a region tag first, as rpm writes them."""
    tags: list[tuple[int, int, bytes, int]] = [
        (1000, _STRING, fields.name.encode() + b"\0", 1),
        (1001, _STRING, fields.version.encode() + b"\0", 1),
        (1002, _STRING, fields.release.encode() + b"\0", 1),
        (1004, _I18NSTRING, b"summary\0", 1),
        (1014, _STRING, fields.license.encode() + b"\0", 1),
        (1022, _STRING, fields.arch.encode() + b"\0", 1),
        (1027, _STRING_ARRAY, b"/usr/bin/a\0/usr/bin/b\0", 2),
    ]
    if fields.epoch is not None:
        tags.append((1003, _INT32, struct.pack(">i", fields.epoch), 1))
    if fields.source_rpm:
        tags.append((1044, _STRING, fields.source_rpm.encode() + b"\0", 1))
    tags.sort(key=lambda tag: tag[0])
    store = bytearray()
    index = []
    for tag, kind, data, count in tags:
        if kind == _INT32:
            store.extend(b"\0" * (-len(store) % 4))
        index.append((tag, kind, len(store), count))
        store.extend(data)
    # The immutable region trailer: a BIN entry of 16 bytes pointing at itself, negative offset.
    trailer_offset = len(store)
    entries = len(index) + 1
    store.extend(struct.pack(">iIiI", HEADERIMMUTABLE, _BIN, -entries * 16, 16))
    index.insert(0, (HEADERIMMUTABLE, _BIN, trailer_offset, 16))
    out = bytearray(struct.pack(">II", len(index), len(store)))
    for entry in index:
        out.extend(struct.pack(">iIiI", *entry))
    out.extend(store)
    return bytes(out)


def rpmdb_sqlite(packages: list[RpmFields], extra_blobs: list[bytes] | None = None) -> bytes:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB)")
    connection.execute("CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER)")
    for package in packages:
        cursor = connection.execute(
            "INSERT INTO Packages (blob) VALUES (?)", (header_blob(package),)
        )
        connection.execute("INSERT INTO Name VALUES (?, ?, 0)", (package.name, cursor.lastrowid))
    for blob in extra_blobs or []:
        connection.execute("INSERT INTO Packages (blob) VALUES (?)", (blob,))
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


_KEYDATA, _OFFPAGE, _OVERFLOW, _HASH_PAGE, _HASH_META = 1, 3, 7, 13, 8
_HEADER = 26


def _fnv_hash(key: bytes) -> int:
    """Berkeley DB's default hash (`__ham_func5`); the metadata page records its value for a
    fixed key so that libdb can tell the file was written with the same function."""
    value = 0
    for byte in key:
        value = ((value * 16777619) & 0xFFFFFFFF) ^ byte
    return value


def _page(
    number: int, next_page: int, entries: int, high_free: int, kind: int, size: int, order: str
) -> bytearray:
    page = bytearray(size)
    struct.pack_into(
        order + "QIIIHHBB", page, 0, 0, number, 0, next_page, entries, high_free, 0, kind
    )
    return page


def rpmdb_bdb(
    blobs: list[bytes], page_size: int = 4096, inline_limit: int = 512, order: str = "<"
) -> bytes:
    """A Berkeley DB 5.x hash database as rpm <= 4.15 writes `Packages`, in the byte order
    `order` of the machine that wrote it: key 0 holds the next instance number, keys 1.. the
    header blobs, all in bucket 0 (a chain of bucket pages); a value over `inline_limit`
    bytes lives on a chain of overflow pages, as libdb puts items too large for a bucket
    page."""
    records = [(struct.pack(order + "I", 0), struct.pack(order + "I", len(blobs) + 1))]
    records += [(struct.pack(order + "I", number), blob) for number, blob in enumerate(blobs, 1)]
    records.sort()
    # Bucket pages first: pairs of (key item, value or its overflow reference) by size.
    bucket_pages: list[list[tuple[bytes, bytes]]] = [[]]
    used = _HEADER
    for key, value in records:
        size = 1 + len(key) + (12 if len(value) > inline_limit else 1 + len(value)) + 4
        if used + size > page_size:
            bucket_pages.append([])
            used = _HEADER
        bucket_pages[-1].append((key, value))
        used += size
    pages: list[bytearray] = [bytearray(page_size) for _ in range(1 + len(bucket_pages))]
    room = page_size - _HEADER
    for position, pairs in enumerate(bucket_pages):
        number = 1 + position
        items: list[bytes] = []
        for key, value in pairs:
            items.append(bytes([_KEYDATA]) + key)
            if len(value) <= inline_limit:
                items.append(bytes([_KEYDATA]) + value)
                continue
            chunks = [value[i : i + room] for i in range(0, len(value), room)]
            first = len(pages)
            for index, chunk in enumerate(chunks):
                following = len(pages) + 1 if index + 1 < len(chunks) else 0
                page = _page(len(pages), following, 1, len(chunk), _OVERFLOW, page_size, order)
                page[_HEADER : _HEADER + len(chunk)] = chunk
                pages.append(page)
            items.append(bytes([_OFFPAGE, 0, 0, 0]) + struct.pack(order + "II", first, len(value)))
        end, offsets = page_size, []
        body = pages[number]
        for item in items:
            end -= len(item)
            body[end : end + len(item)] = item
            offsets.append(end)
        following = number + 1 if position + 1 < len(bucket_pages) else 0
        body[:_HEADER] = _page(number, following, len(items), end, _HASH_PAGE, page_size, order)[
            :_HEADER
        ]
        struct.pack_into(f"{order}{len(offsets)}H", body, _HEADER, *offsets)
    meta = pages[0]
    struct.pack_into(
        order + "QIIIIBBBBIIIIII",
        meta,
        0,
        0,
        0,
        0x061561,
        9,
        page_size,
        0,
        _HASH_META,
        0,
        0,
        0,
        len(pages) - 1,
        0,
        0,
        0,
        0,
    )
    # max_bucket, high_mask, low_mask, fill factor, element count, hash of the check key.
    struct.pack_into(
        order + "IIIIII", meta, 72, 0, 0, 0, 0, len(records), _fnv_hash(b"%$sniglet^&")
    )
    struct.pack_into(order + "I", meta, 96, 1)  # spares[0]: bucket 0 is page 1
    return b"".join(pages)


def rpmdb_ndb(blobs: list[bytes], free_slots: int = 3) -> bytes:
    """An NDB `Packages.db` as rpm's ndb backend writes it: one slot page (the header in its
    first 32 bytes, every slot stamped `Slot`, a few freed ones between the used ones), then
    each blob in 16-byte blocks with its head, zero padding and checksummed tail."""
    slot_pages = 1 + (len(blobs) + free_slots + 2) * 16 // 4096
    out = bytearray(slot_pages * 4096)
    struct.pack_into("<4sIIII", out, 0, b"RpmP", 0, 7, slot_pages, len(blobs) + 1)
    for slot in range(2, slot_pages * 256):
        struct.pack_into("<4sIII", out, slot * 16, b"Slot", 0, 0, 0)
    slot = 2
    for index, blob in enumerate(blobs, 1):
        if index <= free_slots:
            slot += 1  # a package removed earlier left its slot free
        blocks = (16 + len(blob) + 12 + 15) // 16
        offset = len(out) // 16
        body = bytearray(blocks * 16)
        struct.pack_into("<4sIII", body, 0, b"BlbS", index, 1700000000, len(blob))
        body[16 : 16 + len(blob)] = blob
        checksum = zlib.adler32(bytes(body[:-12]))
        struct.pack_into("<II4s", body, len(body) - 12, checksum, len(blob), b"BlbE")
        out.extend(body)
        struct.pack_into("<4sIII", out, slot * 16, b"Slot", index, offset, blocks)
        slot += 1
    return bytes(out)
