"""Semantic Versioning 2.0 precedence (npm, Go modules, and OSV's SEMVER ranges): numbers
numerically, a pre-release below its release, pre-release identifiers numeric-before-text and a
longer list above its prefix, build metadata ignored. Go's `v` prefix is accepted."""

from __future__ import annotations

import re

from chalicelib.scanning.errors import ScanInputError

_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?",
    re.ASCII,
)

Identifier = tuple[int, int, str]
Key = tuple[int, int, int, tuple[int, tuple[Identifier, ...]]]


def _identifier(text: str) -> Identifier:
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def key(version: str) -> Key:
    match = _SEMVER.fullmatch(version)
    if not match:
        raise ScanInputError(f"not a semantic version: {version[:80]!r}")
    major, minor, patch, pre = match.groups()
    release = (1, ()) if pre is None else (0, tuple(_identifier(p) for p in pre.split(".")))
    return (int(major), int(minor), int(patch), release)
