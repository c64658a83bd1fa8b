"""PyPI ordering (PEP 440) through `packaging`, the reference implementation pip uses."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from chalicelib.scanning.errors import ScanInputError


def key(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion as error:
        raise ScanInputError(f"not a PEP 440 version: {version[:80]!r}") from error
