"""RPM's sqlite database (`rpmdb.sqlite`, RHEL 9, Fedora 33+, openSUSE): a `Packages` table
of header blobs, read from bytes without touching the disk."""

from __future__ import annotations

import sqlite3

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl
from chalicelib.scanning.rpm_header import RpmHeader, parse_header_blob

_SQLITE_MAGIC = b"SQLite format 3\0"


def evr(epoch: int | None, version: str, release: str) -> str:
    """The epoch:version-release string RPM advisories compare."""
    text = f"{version}-{release}" if release else version
    return f"{epoch}:{text}" if epoch else text


def source_name(source_rpm: str) -> str:
    """`openssl-3.0.7-25.el9.src.rpm` -> `openssl` (name-version-release.src.rpm)."""
    stem = source_rpm.removesuffix(".rpm").rsplit(".", 1)[0]
    parts = stem.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else ""


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


def to_package(header: RpmHeader, path: str, distro: OsRelease | None) -> Package:
    namespace = distro.id if distro else "redhat"
    version = f"{header.version}-{header.release}" if header.release else header.version
    full = evr(header.epoch, header.version, header.release)
    qualifiers = {
        "arch": header.arch,
        "epoch": str(header.epoch) if header.epoch else "",
        "distro": distro.distro if distro else "",
    }
    return Package(
        kind="rpm",
        name=header.name,
        version=full,
        purl=purl("rpm", header.name, version, namespace, qualifiers),
        path=path,
        source_name=source_name(header.source_rpm) or header.name,
        source_version=full,
        arch=header.arch,
        license=header.license,
    )


def parse_rpm_sqlite(data: bytes, path: str, distro: OsRelease | None) -> list[Package]:
    packages = []
    for blob in _blobs(data):
        header = parse_header_blob(blob)
        # The public keys rpm imported are stored as pseudo-packages; they are not software.
        if header.name == "gpg-pubkey":
            continue
        packages.append(to_package(header, path, distro))
    return packages
