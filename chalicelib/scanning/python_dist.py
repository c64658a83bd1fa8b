"""Installed Python distributions: `*.dist-info/METADATA` (wheels, pip) and
`*.egg-info/PKG-INFO` or a bare `*.egg-info` file (setuptools), both email-style headers."""

from __future__ import annotations

import re

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl

_SEPARATORS = re.compile(r"[-_.]+")


def normalise_name(name: str) -> str:
    """PEP 503: the name PyPI advisories and purls use."""
    return _SEPARATORS.sub("-", name).lower()


def parse_python_metadata(data: bytes, path: str) -> list[Package]:
    headers: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # the body (long description) starts here
        key, colon, value = line.partition(":")
        if colon and not line[0].isspace():
            headers.setdefault(key.strip().lower(), value.strip())
    name, version = headers.get("name", ""), headers.get("version", "")
    if not name or not version:
        raise ScanInputError(f"{path}: Python metadata without Name or Version")
    normal = normalise_name(name)
    return [
        Package(
            kind="pypi",
            name=normal,
            version=version,
            purl=purl("pypi", normal, version),
            path=path,
            license=headers.get("license", "")[:200],
        )
    ]
