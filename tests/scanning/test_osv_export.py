"""An OSV export indexed for the sync (pure): each ecosystem's export owns only its own index
keys, a record that is not JSON is named and skipped, the hashes change only with content."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from random import Random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.advisory_index import index_advisories, index_key
from chalicelib.scanning.osv_export import ExportTally, export_bodies, index_export
from tests.scanning.advisories import osv


def zipped(records: list[dict[str, Any]], extra: dict[str, str] | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def test_an_export_owns_its_own_ecosystem_only() -> None:
    mixed = osv("GHSA-1", "PyPI", "jinja2", [{"introduced": "0"}, {"fixed": "3"}])
    mixed["affected"].append(
        {
            "package": {"ecosystem": "npm", "name": "lodash"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
        }
    )
    debian = osv("DSA-1", "Debian:12", "openssl", [{"introduced": "0"}, {"fixed": "3.0.13-1"}])
    found = index_export(zipped([mixed, debian], {"bad.json": "{", "README": "x"}), "PyPI")
    assert set(found.bodies) == {index_key("PyPI", "jinja2")}
    assert found.advisories == 1
    assert found.problems == ["bad.json"]
    stored = json.loads(found.bodies[index_key("PyPI", "jinja2")])
    assert [a["id"] for a in stored] == ["GHSA-1"]
    assert [e["package"]["ecosystem"] for e in stored[0]["affected"]] == ["PyPI"]
    assert index_export(zipped([mixed, debian]), "Debian:12").advisories == 1


def test_hashes_follow_the_content() -> None:
    one = osv("PYSEC-1", "PyPI", "a", [{"introduced": "0"}, {"fixed": "2"}])
    two = osv("PYSEC-2", "PyPI", "b", [{"introduced": "0"}, {"fixed": "2"}])
    first = index_export(zipped([one, two]), "PyPI")
    assert index_export(zipped([two, one]), "PyPI").hashes == first.hashes  # order-free
    changed = index_export(zipped([one, {**two, "summary": "new"}]), "PyPI")
    assert changed.hashes[index_key("PyPI", "a")] == first.hashes[index_key("PyPI", "a")]
    assert changed.hashes[index_key("PyPI", "b")] != first.hashes[index_key("PyPI", "b")]


def _export(count: int, packages: int) -> list[dict[str, Any]]:
    return [
        {
            **osv(
                f"DEBIAN-CVE-2024-{i:05d}",
                "Debian:12",
                f"pkg{i % packages}",
                [{"introduced": "0"}, {"fixed": f"1.{i}-1"}],
            ),
            "summary": f"advisory {i} " + "x" * 400,
        }
        for i in range(count)
    ]


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(0, 60),
    packages=st.integers(1, 20),
    partitions=st.integers(1, 9),
    seed=st.randoms(use_true_random=False),
)
def test_partitions_build_the_same_index_as_the_whole_in_memory(
    count: int, packages: int, partitions: int, seed: Random
) -> None:
    records = _export(count, packages)
    seed.shuffle(records)
    whole = index_advisories(records)
    expected = {
        key: json.dumps(sorted(a, key=lambda x: str(x["id"])), separators=(",", ":")).encode()
        for key, a in whole.items()
    }
    tally = ExportTally()
    parts = list(export_bodies(zipped(records), "Debian:12", tally, partitions))
    flat = [pair for part in parts for pair in part]
    assert dict(flat) == expected
    assert len(flat) == len(expected)  # each key in exactly one partition
    assert len(tally.ids) == count and tally.problems == []


def _peak(archive: io.BytesIO, partitions: int) -> tuple[int, int]:
    archive.seek(0)
    tracemalloc.start()
    try:
        seen = 0
        for part in export_bodies(archive, "Debian:12", ExportTally(), partitions):
            seen += sum(len(body) for _, body in part)
        return tracemalloc.get_traced_memory()[1], seen
    finally:
        tracemalloc.stop()


def test_the_sync_holds_one_partition_of_the_index_at_a_time() -> None:
    """Peak Python memory walking 64 partitions against one partition (the whole index in
    memory, as the sync held it before): measured with tracemalloc on a fixed export of 4,000
    advisories for 2,000 packages (about 18 MB whole, 3 MB partitioned, on CPython 3.11)."""
    archive = zipped(_export(4000, 2000))
    whole, whole_bytes = _peak(archive, 1)
    partitioned, partitioned_bytes = _peak(archive, 64)
    assert partitioned_bytes == whole_bytes > 2_000_000
    assert partitioned < whole / 4, (partitioned, whole)
