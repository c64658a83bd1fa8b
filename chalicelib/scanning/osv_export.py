"""An ecosystem's OSV export (`<Ecosystem>/all.zip`, one JSON record per advisory) turned into
the index objects a sync stores (pure): each index key's body, and a short hash of it, so a
sync writes only the keys whose advisories changed and deletes only the keys that are gone.

An export owns the index keys of its own ecosystem: entries of a record for another ecosystem
(rare) are left to that ecosystem's export, so two exports never write the same key."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from chalicelib.scanning.advisory_index import index_advisories
from chalicelib.scanning.versions.ecosystems import base_ecosystem


@dataclass(frozen=True)
class ExportIndex:
    bodies: dict[str, bytes]  # index key -> the JSON list stored under it
    hashes: dict[str, str]  # index key -> hash of its body
    advisories: int  # distinct advisory ids with at least one entry kept
    problems: list[str]  # records that could not be read, by name (at most 20)


def records(archive: IO[bytes], problems: list[str]) -> Iterator[dict[str, Any]]:
    """Each record of the zip, one at a time; an unreadable one is noted and skipped."""
    with zipfile.ZipFile(archive) as opened:
        for name in sorted(opened.namelist()):
            if not name.endswith(".json"):
                continue
            try:
                document = json.loads(opened.read(name))
            except ValueError:
                document = None
            if isinstance(document, dict) and "id" in document:
                yield document
            elif len(problems) < 20:
                problems.append(name)


def _own_entries(record: dict[str, Any], base: str) -> dict[str, Any] | None:
    affected = [
        entry
        for entry in record.get("affected") or []
        if isinstance(entry, dict)
        and isinstance(entry.get("package"), dict)
        and isinstance(entry["package"].get("ecosystem"), str)
        and base_ecosystem(entry["package"]["ecosystem"]) == base
    ]
    return {**record, "affected": affected} if affected else None


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def index_export(archive: IO[bytes], ecosystem: str) -> ExportIndex:
    base = base_ecosystem(ecosystem)
    problems: list[str] = []
    own = (_own_entries(r, base) for r in records(archive, problems))
    index = index_advisories(r for r in own if r is not None)
    bodies = {
        key: json.dumps(
            sorted(advisories, key=lambda a: str(a.get("id"))), separators=(",", ":")
        ).encode()
        for key, advisories in index.items()
    }
    ids = {str(a.get("id")) for advisories in index.values() for a in advisories}
    return ExportIndex(bodies, {k: body_hash(v) for k, v in bodies.items()}, len(ids), problems)
