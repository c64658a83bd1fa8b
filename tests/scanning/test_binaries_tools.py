"""Executables a real compiler and linker produce (gcc, installed by
scripts/install-system-deps) carrying the metadata sections in their real formats, put there
the way the Go linker and cargo-auditable put them (a named, kept data section): the scanner
finds the same packages in them as in the hand-built ELF files of test_binaries.py. And a Go
program the Go toolchain itself built (skopeo, a test client)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.scanning.go_buildinfo import stdlib_version
from chalicelib.scanning.inventory import inventory_of_layers
from tests.scanning.binaries import cargo_dep_v0, go_buildinfo, go_modinfo
from tests.scanning.layers import layer, stream
from tests.scanning.test_binaries import CARGO

pytestmark = pytest.mark.e2e


def _array(name: str, section: str, data: bytes) -> str:
    values = ",".join(str(byte) for byte in data)
    return (
        f'__attribute__((section("{section}"), used, aligned(16)))\n'
        f"const unsigned char {name}[{len(data)}] = {{{values}}};\n"
    )


def test_compiled_and_linked_executable(tmp_path: Path) -> None:
    modinfo = go_modinfo(("example.com/tool", "v0.3.1"), [("golang.org/x/text", "v0.3.7")])
    source = tmp_path / "main.c"
    source.write_text(
        _array("go_buildinfo", ".go.buildinfo", go_buildinfo("go1.22.3", modinfo))
        + _array("dep_v0", ".dep-v0", cargo_dep_v0(CARGO))
        + "int main(void) { return go_buildinfo[0] + dep_v0[0] == 0; }\n"
    )
    binary = tmp_path / "tool"
    subprocess.run(["gcc", "-O0", "-o", str(binary), str(source)], check=True)
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(binary)], check=True, capture_output=True, text=True
    ).stdout
    assert ".go.buildinfo" in sections and ".dep-v0" in sections
    inventory = inventory_of_layers(
        [
            stream(
                layer(
                    [("usr/bin/tool", binary.read_bytes())], executables=frozenset({"usr/bin/tool"})
                )
            )
        ]
    )
    assert inventory.problems == []
    assert sorted((p.kind, p.name, p.version) for p in inventory.packages) == [
        ("cargo", "serde", "1.0.190"),
        ("cargo", "smallvec", "1.6.0"),
        ("golang", "example.com/tool", "v0.3.1"),
        ("golang", "golang.org/x/text", "v0.3.7"),
        ("golang", "stdlib", "v1.22.3"),
    ]


def test_a_go_program_the_go_toolchain_built() -> None:
    """skopeo (installed for the end-to-end tests) is a Go program built by Debian's Go
    toolchain, in GOPATH mode: its build info names the toolchain and the main package's path
    but no modules, so the standard library is its one Go package."""
    data = Path(shutil.which("skopeo") or "/usr/bin/skopeo").read_bytes()
    toolchain = re.search(rb"go1\.\d+(?:\.\d+)?", data)
    assert toolchain is not None
    inventory = inventory_of_layers(
        [stream(layer([("usr/bin/skopeo", data)], executables=frozenset({"usr/bin/skopeo"})))]
    )
    assert inventory.problems == []
    assert [(p.name, p.version) for p in inventory.packages] == [
        ("stdlib", stdlib_version(toolchain.group().decode()))
    ]


def test_a_linked_go_1_13_to_1_17_build_info_is_followed_through_its_pointers(
    tmp_path: Path,
) -> None:
    """The older layout, laid out by a real linker: `.go.buildinfo` holds the magic, the
    pointer size, a flags byte (little-endian, pointers) and two absolute pointers the linker
    fills in, each to a (data pointer, length) string header in `.data`, the strings in
    `.rodata`, as Go 1.13-1.17 binaries have them."""
    from tests.scanning.binaries import MODINFO_END, MODINFO_START

    modinfo = go_modinfo(("example.com/old", "v0.9.0"), [("golang.org/x/sys", "v0.0.1")])
    framed = MODINFO_START + modinfo.encode() + MODINFO_END
    source = tmp_path / "old.c"
    source.write_text(
        "struct gostring { const unsigned char *data; unsigned long length; };\n"
        + _array("version_bytes", ".rodata", b"go1.16.15")
        + _array("modinfo_bytes", ".rodata", framed)
        + "struct gostring version = { version_bytes, 9 };\n"
        + f"struct gostring modinfo = {{ modinfo_bytes, {len(framed)} }};\n"
        + "struct header { unsigned char magic[14]; unsigned char size, flags;"
        + " struct gostring *version, *modinfo; };\n"
        + '__attribute__((section(".go.buildinfo"), used, aligned(16)))\n'
        + 'struct header buildinfo = { "\\xff Go buildinf:", 8, 0, &version, &modinfo };\n'
        + "int main(void) { return buildinfo.size == 0; }\n"
    )
    binary = tmp_path / "old"
    subprocess.run(["gcc", "-O0", "-no-pie", "-o", str(binary), str(source)], check=True)
    inventory = inventory_of_layers(
        [
            stream(
                layer(
                    [("usr/bin/old", binary.read_bytes())], executables=frozenset({"usr/bin/old"})
                )
            )
        ]
    )
    assert inventory.problems == []
    assert sorted((p.name, p.version) for p in inventory.packages) == [
        ("example.com/old", "v0.9.0"),
        ("golang.org/x/sys", "v0.0.1"),
        ("stdlib", "v1.16.15"),
    ]
