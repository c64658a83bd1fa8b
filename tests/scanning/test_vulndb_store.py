"""The advisory index in S3 (chalicelib/storage/vulndb.py), against moto: a later import of an
advisory replaces the stored one, keys of packages without advisories read as empty."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.scanning.advisory_index import index_advisories, index_key
from chalicelib.storage import vulndb
from tests.scanning.advisories import osv


def test_merge_replaces_by_id_and_counts(aws: dict[str, str]) -> None:
    name = f"pkg-{uuid.uuid4().hex[:8]}"
    first = osv("GHSA-aaaa-bbbb-cccc", "PyPI", name, [{"introduced": "0"}, {"fixed": "1.0"}])
    before = vulndb.state()
    after_first = vulndb.merge(index_advisories([first]))
    assert after_first["advisories"] == before["advisories"] + 1
    assert after_first["keys"] == before["keys"] + 1

    newer: dict[str, Any] = {**first, "modified": "2025-01-01T00:00:00Z"}
    other = osv("PYSEC-2025-1", "PyPI", name, [{"introduced": "2.0"}])
    after_second = vulndb.merge(index_advisories([newer, other]))
    assert after_second["advisories"] == after_first["advisories"] + 1
    assert after_second["keys"] == after_first["keys"]

    stored = vulndb.advisories_for(index_key("PyPI", name))
    assert [(a["id"], a["modified"]) for a in stored] == [
        ("GHSA-aaaa-bbbb-cccc", "2025-01-01T00:00:00Z"),
        ("PYSEC-2025-1", "2024-01-01T00:00:00Z"),
    ]
    assert vulndb.advisories_for(index_key("PyPI", name + "-none")) == []
