"""Go binaries: the build information the Go toolchain embeds in every executable
(`runtime/debug.BuildInfo`), which names the main module and every dependency module with its
version, so a Go program built from vulnerable modules is found without its sources.

The `.go.buildinfo` section starts with the 14-byte magic `\\xff Go buildinf:`, a pointer size
byte and a flags byte. Since Go 1.18 (flag bit 2) the Go version and the module information
follow the 32-byte header inline, each a uvarint length and its bytes. Before (Go 1.13 to
1.17) the header holds two pointers instead, in the byte order flag bit 1 gives, each to a Go
string header (data pointer, length) in the data segment: they are followed through the
sections' load addresses. The module information is text framed by 16-byte
sentinels: `path`, `mod`, `dep` and `=>` (replacement of the line above) lines, tab-separated."""

from __future__ import annotations

import re
import struct
from typing import IO, Any

from chalicelib.scanning.elf import Section, read_address, section, sections
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl

MAGIC = b"\xff Go buildinf:"
_INLINE = 0x2
_BIG_ENDIAN = 0x1
_HEADER = 32
_SENTINEL = 16
_TOOLCHAIN = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?")


def _uvarint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data) and shift < 64:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
    raise ScanInputError("Go build info: truncated length")


def _string(data: bytes, at: int) -> tuple[str, int]:
    length, at = _uvarint(data, at)
    if at + length > len(data):
        raise ScanInputError("Go build info: string past the section")
    return data[at : at + length].decode("utf-8", "replace"), at + length


def parse_buildinfo(blob: bytes) -> dict[str, str] | None:
    """{"goVersion", "modinfo"} from the section's bytes; None for a pre-1.18 binary (its
    strings are elsewhere in the file: read_go_binary follows them)."""
    if not blob.startswith(MAGIC) or len(blob) < _HEADER:
        raise ScanInputError("Go build info: no magic")
    if not blob[15] & _INLINE:
        return None
    version, at = _string(blob, _HEADER)
    modinfo, _ = _string(blob, at)
    return {"goVersion": version, "modinfo": _unframed(modinfo)}


def _unframed(modinfo: str) -> str:
    if len(modinfo) >= 2 * _SENTINEL + 1 and modinfo[-_SENTINEL - 1] == "\n":
        return modinfo[_SENTINEL:-_SENTINEL]
    return modinfo


def _pointed_buildinfo(blob: bytes, file: IO[bytes], table: list[Section]) -> dict[str, str] | None:
    """Go 1.13-1.17: the version and module information through the header's two pointers;
    None when they are null (a binary without module information)."""
    size = blob[14]
    if size not in (4, 8) or len(blob) < 16 + 2 * size:
        raise ScanInputError("Go build info: bad pointer size")
    pointer = struct.Struct((">" if blob[15] & _BIG_ENDIAN else "<") + ("Q" if size == 8 else "I"))
    version_at, modinfo_at = (
        pointer.unpack_from(blob, 16)[0],
        pointer.unpack_from(blob, 16 + size)[0],
    )
    if not version_at or not modinfo_at:
        return None

    def string(at: int) -> str:
        header = read_address(file, table, at, 2 * size)
        data_at, length = pointer.unpack_from(header, 0)[0], pointer.unpack_from(header, size)[0]
        if not length:
            return ""
        return read_address(file, table, data_at, length).decode("utf-8", "replace")

    return {"goVersion": string(version_at), "modinfo": _unframed(string(modinfo_at))}


def read_go_binary(file: IO[bytes]) -> dict[str, str] | None:
    """The build info of an ELF Go binary, None for any other executable."""
    blob = section(file, ".go.buildinfo")
    if not blob:
        return None
    info = parse_buildinfo(blob)
    return info if info is not None else _pointed_buildinfo(blob, file, sections(file))


def stdlib_version(toolchain: str) -> str:
    """`go1.21.5` -> `v1.21.5`, `go1.20` -> `v1.20.0`, `go1.21rc2` -> `v1.21.0-rc.2`: the
    semantic version OSV's Go database gives the standard library."""
    match = _TOOLCHAIN.match(toolchain)
    if not match:
        return ""
    major, minor, patch, stage, number = match.groups()
    version = f"v{major}.{minor}.{patch or 0}"
    return f"{version}-{stage}.{number}" if stage else version


def _package(module: str, version: str, path: str) -> Package:
    namespace, _, name = module.rpartition("/")
    return Package(
        kind="golang",
        name=module,
        version=version,
        purl=purl("golang", name, version, namespace),
        path=path,
    )


def go_packages(evidence: dict[str, Any], path: str) -> list[Package]:
    """The main module (unless built from a checkout: `(devel)`), each dependency as the
    replacement in effect, and the standard library as Go's vulnerability database names it."""
    modules: list[tuple[str, str]] = []
    for line in str(evidence.get("modinfo", "")).splitlines():
        fields = line.split("\t")
        if fields[0] in ("mod", "dep") and len(fields) >= 3:
            modules.append((fields[1], fields[2]))
        elif fields[0] == "=>" and len(fields) >= 3 and modules:
            # Replaced by a local directory (no version): what was built is unknown, left out.
            modules[-1] = (fields[1], fields[2])
    packages = [
        _package(module, version, path)
        for module, version in modules
        if module and version and version != "(devel)"
    ]
    stdlib = stdlib_version(str(evidence.get("goVersion", "")))
    if stdlib:
        packages.append(_package("stdlib", stdlib, path))
    return packages
