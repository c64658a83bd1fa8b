"""From decoded RPM header blobs to packages, shared by every rpmdb backend (sqlite, BerkeleyDB,
NDB): the backends differ only in how they store the blobs."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl
from chalicelib.scanning.rpm_header import RpmHeader, parse_header_blob


def evr(epoch: int | None, version: str, release: str) -> str:
    """The epoch:version-release string RPM advisories compare."""
    text = f"{version}-{release}" if release else version
    return f"{epoch}:{text}" if epoch else text


def source_name(source_rpm: str) -> str:
    """`openssl-3.0.7-25.el9.src.rpm` -> `openssl` (name-version-release.src.rpm)."""
    stem = source_rpm.removesuffix(".rpm").rsplit(".", 1)[0]
    parts = stem.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else ""


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


def packages_from_blobs(
    blobs: Iterable[bytes], path: str, distro: OsRelease | None
) -> list[Package]:
    packages = []
    for blob in blobs:
        header = parse_header_blob(blob)
        # The public keys rpm imported are stored as pseudo-packages; they are not software.
        if header.name == "gpg-pubkey":
            continue
        packages.append(to_package(header, path, distro))
    return packages
