"""An OSV export indexed for the sync (pure): each ecosystem's export owns only its own index
keys, a record that is not JSON is named and skipped, the hashes change only with content."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from chalicelib.scanning.advisory_index import index_key
from chalicelib.scanning.osv_export import index_export
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
