"""Build executables and archives in their real formats for tests: ELF files with named
sections (as a linker lays out a Go or Rust binary's metadata sections), Go's build info blob,
cargo-auditable's compressed dependency JSON, and jars with Maven metadata."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from typing import Any

GO_MAGIC = b"\xff Go buildinf:"
# The sentinels `go` wraps the module information in (runtime/debug's modinfo framing).
MODINFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
MODINFO_END = bytes.fromhex("f932433186182072008242104116d8f2")


def elf(
    sections: dict[str, bytes],
    wide: bool = True,
    order: str = "<",
    addresses: dict[str, int] | None = None,
) -> bytes:
    """A minimal executable: ELF header, a code stub, the sections, the section name table and
    the section header table at the end, as linkers put it. `addresses` gives the sections the
    loader maps (the others are at 0, not loaded)."""
    header_size = 64 if wide else 52
    names = b"\0"
    body = bytearray(b"\0" * header_size + b"\x90" * 256)  # the "code"
    entries: list[tuple[int, int, int, int, int]] = [(0, 0, 0, 0, 0)]  # null section
    for name, data in sections.items():
        body.extend(b"\0" * (-len(body) % 16))
        address = (addresses or {}).get(name, 0)
        entries.append((len(names), 1, address, len(body), len(data)))  # SHT_PROGBITS
        names += name.encode() + b"\0"
        body.extend(data)
    names_index = len(entries)
    entries.append((len(names), 3, 0, len(body), len(names) + len(".shstrtab") + 1))  # SHT_STRTAB
    names += b".shstrtab\0"
    body.extend(names)
    body.extend(b"\0" * (-len(body) % 8))
    table = len(body)
    for name_at, kind, address, offset, size in entries:
        body.extend(
            struct.pack(
                order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII"),
                *(name_at, kind, 0, address, offset, size, 0, 0, 1, 0),
            )
        )
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1, 0]) + b"\0" * 8
    if wide:
        rest = struct.pack(
            order + "HHIQQQIHHHHHH",
            2,
            62,
            1,
            0,
            0,
            table,
            0,
            64,
            0,
            0,
            64,
            len(entries),
            names_index,
        )
    else:
        rest = struct.pack(
            order + "HHIIIIIHHHHHH",
            2,
            3,
            1,
            0,
            0,
            table,
            0,
            52,
            0,
            0,
            40,
            len(entries),
            names_index,
        )
    body[:header_size] = ident + rest
    return bytes(body)


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def go_buildinfo(go_version: str, modinfo: str, pointer_size: int = 8) -> bytes:
    """The `.go.buildinfo` section of Go >= 1.18: magic, pointer size, flags (inline strings),
    padding to 32 bytes, then the version and the sentinel-framed module information."""
    header = GO_MAGIC + bytes([pointer_size, 0x2]) + b"\0" * 16
    framed = MODINFO_START + modinfo.encode() + MODINFO_END
    return header + _uvarint(len(go_version)) + go_version.encode() + _uvarint(len(framed)) + framed


def go_buildinfo_pointers(
    go_version: str, modinfo: str, pointer_size: int = 8, order: str = "<"
) -> tuple[dict[str, bytes], dict[str, int]]:
    """The sections of a Go 1.13-1.17 binary's build info (and their load addresses): the
    `.go.buildinfo` header holds two pointers, in the byte order its flags byte names, to Go
    string headers (data pointer, length) in `.data`, whose bytes are in `.rodata`."""
    rodata_at, data_at = 0x400000, 0x500000
    framed = MODINFO_START + modinfo.encode() + MODINFO_END
    rodata = go_version.encode() + framed
    pointer = order + ("Q" if pointer_size == 8 else "I")
    data = b"".join(
        struct.pack(pointer, value)
        for value in (rodata_at, len(go_version), rodata_at + len(go_version), len(framed))
    )
    header = GO_MAGIC + bytes([pointer_size, 1 if order == ">" else 0])
    header += struct.pack(pointer, data_at) + struct.pack(pointer, data_at + 2 * pointer_size)
    header += b"\0" * (-len(header) % 16)
    sections = {".rodata": rodata, ".data": data, ".go.buildinfo": header}
    return sections, {".rodata": rodata_at, ".data": data_at, ".go.buildinfo": 0x600000}


def go_modinfo(
    main: tuple[str, str],
    deps: list[tuple[str, str]],
    replaced: dict[str, tuple[str, str]] | None = None,
) -> str:
    lines = [f"path\t{main[0]}/cmd/app", f"mod\t{main[0]}\t{main[1]}\t"]
    for module, version in deps:
        lines.append(f"dep\t{module}\t{version}\th1:abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=")
        if replaced and module in replaced:
            lines.append(f"=>\t{replaced[module][0]}\t{replaced[module][1]}\t")
    lines += ["build\t-buildmode=exe", "build\t-compiler=gc", "build\tGOOS=linux", ""]
    return "\n".join(lines)


def cargo_dep_v0(packages: list[dict[str, Any]]) -> bytes:
    return zlib.compress(json.dumps({"packages": packages}).encode(), 9)


def jar(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pom_properties(group: str, artifact: str, version: str) -> tuple[str, bytes]:
    text = (
        "#Generated by Maven\n#Tue Jan 02 10:00:00 UTC 2024\n"
        f"artifactId={artifact}\ngroupId={group}\nversion={version}\n"
    )
    return f"META-INF/maven/{group}/{artifact}/pom.properties", text.encode()
