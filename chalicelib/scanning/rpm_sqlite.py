"""RPM's sqlite database (`rpmdb.sqlite`, RHEL 9, Fedora 33+, openSUSE): a `Packages` table
of header blobs, read from bytes without touching the disk."""

from __future__ import annotations

import sqlite3

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.rpm_package import packages_from_blobs

_SQLITE_MAGIC = b"SQLite format 3\0"


def _blobs(data: bytes) -> list[bytes]:
    if not data.startswith(_SQLITE_MAGIC):
        raise ScanInputError("rpmdb.sqlite is not an sqlite database")
    image = bytearray(data)
    # A WAL-mode database read without its -wal file: open it as a rollback-journal one.
    if len(image) > 19:
        image[18:20] = b"\x01\x01"
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(bytes(image))
        return [bytes(row[0]) for row in connection.execute("SELECT blob FROM Packages")]
    except sqlite3.Error as error:
        raise ScanInputError(f"rpmdb.sqlite: {error}") from error
    finally:
        connection.close()


def parse_rpm_sqlite(data: bytes, path: str, distro: OsRelease | None) -> list[Package]:
    return packages_from_blobs(_blobs(data), path, distro)
