"""OSV records from what an operator has: an ecosystem's `all.zip` export, a directory of
`.json` records (searched recursively), or one record file; read lazily, one at a time."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _parsed(data: bytes, where: str) -> dict[str, Any]:
    document = json.loads(data)
    if not isinstance(document, dict) or "id" not in document:
        raise ValueError(f"{where} is not an OSV record")
    return document


def osv_records(path: Path) -> Iterator[dict[str, Any]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield _parsed(file.read_bytes(), str(file))
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield _parsed(archive.read(name), f"{path}:{name}")
    else:
        yield _parsed(path.read_bytes(), str(path))


def batches(records: Iterator[dict[str, Any]], limit: int) -> Iterator[list[dict[str, Any]]]:
    """Lists of records whose JSON stays under `limit` bytes (one record may pass it alone)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for record in records:
        record_size = len(json.dumps(record)) + 2
        if batch and size + record_size > limit:
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += record_size
    if batch:
        yield batch
