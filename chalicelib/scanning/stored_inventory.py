"""An image's inventory as its scan report stores it, so a rescan (a new advisory database,
the same immutable image) matches the stored packages instead of reading every layer again.

FORMAT names what the inventory code finds (it also keys the layers' stored changes,
chalicelib/storage/scanned_layers.py): bump it when a detector is added or changed, and
rescans read the layers once more (a stored inventory of another format is not reused)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from chalicelib.scanning.inventory import Inventory
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package

FORMAT = 2  # 2: Go 1.13-1.17 build info
_PACKAGE_FIELDS = tuple(f.name for f in fields(Package))


def inventory_document(inventory: Inventory) -> dict[str, Any]:
    os = inventory.os
    return {
        "format": FORMAT,
        "os": None if os is None else {**asdict(os), "id_like": list(os.id_like)},
        "packages": [asdict(p) for p in inventory.packages],
        "problems": inventory.problems[:100],
    }


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


def inventory_from(document: Any) -> Inventory | None:
    """None when the document is not an inventory of the current FORMAT (then scan again)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    try:
        raw_os = document.get("os")
        os = None
        if raw_os is not None:
            os = OsRelease(
                id=_text(raw_os["id"]),
                version_id=_text(raw_os["version_id"]),
                pretty_name=_text(raw_os["pretty_name"]),
                id_like=tuple(_text(v) for v in raw_os["id_like"]),
            )
        packages = [
            Package(**{name: _text(raw[name]) for name in _PACKAGE_FIELDS})
            for raw in document["packages"]
        ]
        problems = [_text(p) for p in document.get("problems") or []]
    except (KeyError, TypeError, ValueError):
        return None
    return Inventory(os=os, packages=packages, problems=problems)
