"""Write RPM databases in their real format for tests: header blobs as rpm lays them out (index
entries over an aligned data store) in the `Packages` table of an sqlite database like the one
rpm 4.16+ creates."""

from __future__ import annotations

import sqlite3
import struct
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
