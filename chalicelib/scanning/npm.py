"""npm packages: the `package.json` in each `node_modules/<name>/` directory."""

from __future__ import annotations

import json

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl


def parse_package_json(data: bytes, path: str) -> list[Package]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise ScanInputError(f"{path}: not JSON: {error}") from error
    if not isinstance(document, dict):
        raise ScanInputError(f"{path}: package.json is not an object")
    name, version = document.get("name"), document.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        raise ScanInputError(f"{path}: package.json without name or version")
    scope, _, bare = name.rpartition("/")
    licence = document.get("license")
    return [
        Package(
            kind="npm",
            name=name,
            version=version,
            purl=purl("npm", bare, version, scope),
            path=path,
            license=licence if isinstance(licence, str) else "",
        )
    ]
