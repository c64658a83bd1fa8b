"""From the files an image finally holds to its packages: each wanted file goes to its parser,
and a database that cannot be read is reported, not fatal, so one corrupt file does not hide
every other package of the image."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO

from chalicelib.scanning.apk import parse_apk_installed
from chalicelib.scanning.dpkg import parse_dpkg_status
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.filesystem import stack
from chalicelib.scanning.layer_reader import read_layer
from chalicelib.scanning.npm import parse_package_json
from chalicelib.scanning.os_release import OsRelease, find_os_release
from chalicelib.scanning.package import Package
from chalicelib.scanning.python_dist import parse_python_metadata
from chalicelib.scanning.rpm_sqlite import parse_rpm_sqlite

Parser = Callable[[bytes, str, OsRelease | None], list[Package]]


@dataclass
class Inventory:
    os: OsRelease | None
    packages: list[Package]
    problems: list[str] = field(default_factory=list)


def _parser_for(path: str) -> Parser | None:
    if path == "var/lib/dpkg/status" or path.startswith("var/lib/dpkg/status.d/"):
        return parse_dpkg_status
    if path == "lib/apk/db/installed":
        return parse_apk_installed
    if path.endswith("rpmdb.sqlite"):
        return parse_rpm_sqlite
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
        if parser is None:
            continue
        try:
            packages.update(parser(files[path], path, os))
        except ScanInputError as error:
            problems.append(f"{path}: {error}")
    return Inventory(os=os, packages=sorted(packages), problems=problems)


def inventory_of_layers(layers: Iterable[IO[bytes]]) -> Inventory:
    """Layers bottom first, each read once as a stream."""
    changes = [read_layer(layer) for layer in layers]
    inventory = take_inventory(stack(changes))
    inventory.problems.extend(
        f"{path}: larger than a package database, skipped" for c in changes for path in c.skipped
    )
    return inventory
