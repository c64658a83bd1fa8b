"""From the files an image finally holds to its packages: each wanted file goes to its parser,
and a database that cannot be read is reported, not fatal, so one corrupt file does not hide
every other package of the image."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from chalicelib.scanning import embedded
from chalicelib.scanning.apk import parse_apk_installed
from chalicelib.scanning.cargo_auditable import cargo_packages
from chalicelib.scanning.dpkg import parse_dpkg_status
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.filesystem import stack
from chalicelib.scanning.go_buildinfo import go_packages
from chalicelib.scanning.java_archive import maven_packages
from chalicelib.scanning.layer_changes import LayerChanges
from chalicelib.scanning.layer_reader import read_layer
from chalicelib.scanning.npm import parse_package_json
from chalicelib.scanning.os_release import OsRelease, find_os_release
from chalicelib.scanning.package import Package
from chalicelib.scanning.python_dist import parse_python_metadata
from chalicelib.scanning.rpm_bdb import parse_rpm_bdb
from chalicelib.scanning.rpm_ndb import parse_rpm_ndb
from chalicelib.scanning.rpm_sqlite import parse_rpm_sqlite
from chalicelib.scanning.wanted import is_wanted

Parser = Callable[[bytes, str, OsRelease | None], list[Package]]


@dataclass
class Inventory:
    os: OsRelease | None
    packages: list[Package]
    problems: list[str] = field(default_factory=list)


def _embedded_packages(data: bytes, path: str, _os: OsRelease | None) -> list[Package]:
    """Packages from the evidence the layer reader kept of an executable or archive."""
    found = embedded.decode(data) or {}
    if found.get("kind") == "java":
        return maven_packages(found, path)
    packages = go_packages(found["go"], path) if found.get("go") else []
    return packages + (cargo_packages(found["cargo"], path) if found.get("cargo") else [])


_EMBEDDED: Parser = _embedded_packages


def _parser_for(path: str) -> Parser | None:
    if path == "var/lib/dpkg/status" or path.startswith("var/lib/dpkg/status.d/"):
        return parse_dpkg_status
    if path == "lib/apk/db/installed":
        return parse_apk_installed
    if path.endswith("rpmdb.sqlite"):
        return parse_rpm_sqlite
    if path.endswith("rpm/Packages"):
        return parse_rpm_bdb
    if path.endswith("rpm/Packages.db"):
        return parse_rpm_ndb
    if path.endswith(("/METADATA", "/PKG-INFO", ".egg-info")):
        return lambda data, where, _os: parse_python_metadata(data, where)
    if path.endswith("/package.json"):
        return lambda data, where, _os: parse_package_json(data, where)
    return None


def take_inventory(files: Mapping[str, bytes]) -> Inventory:
    problems: list[str] = []
    try:
        os = find_os_release(files)
    except ScanInputError as error:
        os, problems = None, [f"os-release: {error}"]
    packages: set[Package] = set()
    for path in sorted(files):
        parser = _parser_for(path)
        # Only the layer reader puts evidence under a path no package database has.
        if parser is None and not is_wanted(path) and files[path].startswith(embedded.MAGIC):
            parser = _EMBEDDED
        if parser is None:
            continue
        try:
            packages.update(parser(files[path], path, os))
        except ScanInputError as error:
            problems.append(f"{path}: {error}")
    return Inventory(os=os, packages=sorted(packages), problems=problems)


def inventory_of_layers(layers: Iterable[IO[bytes]]) -> Inventory:
    """Layers bottom first, each read once as a stream."""
    return inventory_of_changes([read_layer(layer) for layer in layers])


def inventory_of_changes(changes: Sequence[LayerChanges]) -> Inventory:
    """Layers' changes bottom first, whether just read or stored by an earlier scan."""
    inventory = take_inventory(stack(changes))
    inventory.problems.extend(
        f"{path}: larger than a package database, skipped" for c in changes for path in c.skipped
    )
    inventory.problems.extend(problem for c in changes for problem in c.problems)
    return inventory
