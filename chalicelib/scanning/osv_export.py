"""An ecosystem's OSV export (`<Ecosystem>/all.zip`, one JSON record per advisory) turned into
the index objects a sync stores (pure): each index key's body, and a short hash of it, so a
sync writes only the keys whose advisories changed and deletes only the keys that are gone.

The zip is read entry by entry, and the index is built partition by partition
(`export_bodies`): a first pass writes each trimmed advisory as one line to the temporary file
of its key's partition, a second builds one partition at a time. So a sync holds about
1/PARTITIONS of the ecosystem's index in memory (Debian's is hundreds of MB whole), plus a set
of advisory ids; the rest waits in /tmp.

An export owns the index keys of its own ecosystem: entries of a record for another ecosystem
(rare) are left to that ecosystem's export, so two exports never write the same key."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
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


PARTITIONS = 64


@dataclass
class ExportTally:
    """What `export_bodies` saw, complete once its iterator is exhausted."""

    ids: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _body(advisories: list[dict[str, Any]]) -> bytes:
    ordered = sorted(advisories, key=lambda a: str(a.get("id")))
    return json.dumps(ordered, separators=(",", ":")).encode()


def export_bodies(
    archive: IO[bytes], ecosystem: str, tally: ExportTally, partitions: int = PARTITIONS
) -> Iterator[list[tuple[str, bytes]]]:
    """Each partition's (index key, body) pairs, one partition at a time, keys sorted."""
    base = base_ecosystem(ecosystem)
    with ExitStack() as stack:
        spools = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(partitions)]
        for record in records(archive, tally.problems):
            own = _own_entries(record, base)
            for key, advisories in index_advisories([own] if own else []).items():
                tally.ids.add(str(record["id"]))
                line = json.dumps([key, advisories[0]], separators=(",", ":")).encode()
                spools[int(key.rpartition("/")[2][:8], 16) % partitions].write(line + b"\n")
        for spool in spools:
            spool.seek(0)
            grouped: dict[str, list[dict[str, Any]]] = {}
            for line in spool:
                key, advisory = json.loads(line)
                grouped.setdefault(key, []).append(advisory)
            spool.truncate(0)  # its disk back before the next partition
            yield [(key, _body(grouped[key])) for key in sorted(grouped)]


def index_export(archive: IO[bytes], ecosystem: str) -> ExportIndex:
    """The whole index in memory: for tests and small exports (the sync uses export_bodies)."""
    tally = ExportTally()
    bodies = {k: b for part in export_bodies(archive, ecosystem, tally) for k, b in part}
    hashes = {k: body_hash(v) for k, v in bodies.items()}
    return ExportIndex(bodies, hashes, len(tally.ids), tally.problems)
