"""Rust binaries built with `cargo auditable`: a `.dep-v0` section holding the zlib-compressed
JSON dependency tree (`{"packages": [{"name", "version", "source", "kind", ...}]}`), the only
record of which crates a Rust executable was built from."""

from __future__ import annotations

import json
import zlib
from typing import IO, Any

from chalicelib.scanning.elf import section
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl

SECTION = ".dep-v0"
# The JSON of even a very large dependency tree is well under this; a zlib bomb is cut here.
MAX_JSON = 8 * 1024 * 1024


def read_cargo_auditable(file: IO[bytes]) -> dict[str, Any] | None:
    blob = section(file, SECTION)
    if blob is None:
        return None
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(blob, MAX_JSON)
    except zlib.error as error:
        raise ScanInputError(f"{SECTION}: not zlib data: {error}") from error
    if inflater.unconsumed_tail:
        raise ScanInputError(f"{SECTION}: dependency data larger than {MAX_JSON} bytes")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ScanInputError(f"{SECTION}: not JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("packages"), list):
        raise ScanInputError(f"{SECTION}: no package list")
    return {"packages": document["packages"]}


def cargo_packages(evidence: dict[str, Any], path: str) -> list[Package]:
    """Crates from crates.io compiled into the binary. Build-time dependencies (build scripts,
    proc macros: kind `build`) are not in the executable; local and git crates have no
    crates.io advisories."""
    packages = []
    for entry in evidence.get("packages") or []:
        if not isinstance(entry, dict) or entry.get("source") != "crates.io":
            continue
        if entry.get("kind", "runtime") != "runtime":
            continue
        name, version = entry.get("name"), entry.get("version")
        if isinstance(name, str) and isinstance(version, str) and name and version:
            packages.append(
                Package(
                    kind="cargo",
                    name=name,
                    version=version,
                    purl=purl("cargo", name, version),
                    path=path,
                )
            )
    return packages
