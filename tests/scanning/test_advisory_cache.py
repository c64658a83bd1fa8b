"""The instance's cache of advisory index lookups (chalicelib/storage/advisory_cache.py): the
same answers as reading S3 every time, never an older version's, bounded in bytes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.advisory_index import index_advisories, index_key
from chalicelib.storage import aws as aws_clients
from chalicelib.storage import vulndb
from chalicelib.storage.advisory_cache import CACHE, AdvisoryCache
from tests.scanning.advisories import osv


class _RecordingS3:
    def __init__(self, client: Any, keys: list[str]) -> None:
        self._client, self._keys = client, keys

    def get_object(self, **kwargs: Any) -> Any:
        self._keys.append(kwargs["Key"])
        return self._client.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def s3_gets(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    keys: list[str] = []
    recording = _RecordingS3(aws_clients.s3(), keys)
    monkeypatch.setattr(aws_clients, "s3", lambda: recording)
    return keys


def _content(version: int, key: str) -> list[dict[str, Any]]:
    return [{"id": f"{key}@{version}"}] * (len(key) % 3)


KEYS = "abcdefgh"


@settings(max_examples=300, deadline=None)
@given(
    changed=st.lists(st.sets(st.sampled_from(KEYS)), min_size=4, max_size=4),
    unknown=st.sets(st.integers(1, 3)),
    lookups=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(KEYS)), max_size=60),
    max_bytes=st.integers(0, 40),
)
def test_answers_equal_a_fresh_read_at_the_version_asked(
    changed: list[set[str]], unknown: set[int], lookups: list[tuple[int, str]], max_bytes: int
) -> None:
    """Version v changes the keys `changed[v]` (or an unknown set, for v in `unknown`); a key's
    object at v is the one its last change up to v wrote. Whatever was read before, at which
    versions and in which order, the cache answers what a read at the version asked gives."""

    def written_at(version: int, key: str) -> int:
        return max((v for v in range(version + 1) if key in changed[v] or v in unknown), default=0)

    def changes(after: int, upto: int) -> frozenset[str] | None:
        if any(v in unknown for v in range(after + 1, upto + 1)):
            return None
        return frozenset(k for v in range(after + 1, upto + 1) for k in changed[v])

    cache = AdvisoryCache(max_bytes)
    fetched = 0
    for version, key in lookups:

        def fetch(k: str, v: int = version) -> tuple[list[dict[str, Any]], int]:
            nonlocal fetched
            fetched += 1
            return _content(written_at(v, k), k), 10

        expected = _content(written_at(version, key), key)
        assert cache.lookup(version, key, fetch, changes) == expected
        assert cache.bytes_kept <= max_bytes
    assert cache.hits + cache.misses == len(lookups) == cache.hits + fetched


def test_an_unchanged_key_is_kept_across_versions() -> None:
    cache = AdvisoryCache()
    reads: list[str] = []

    def fetch(key: str) -> tuple[list[dict[str, Any]], int]:
        reads.append(key)
        return [], 2

    def changes(after: int, upto: int) -> frozenset[str] | None:
        return frozenset({"b"})

    for key in "ab":
        cache.lookup(1, key, fetch, changes)
    for key in "ab":
        cache.lookup(2, key, fetch, changes)
    assert reads == ["a", "b", "b"]  # "a" kept: version 2 changed only "b"


def test_a_new_version_is_read_again_and_the_same_one_is_not(
    aws: dict[str, str], s3_gets: list[str]
) -> None:
    name = f"pkg-{uuid.uuid4().hex[:8]}"
    key = index_key("PyPI", name)
    first = osv("GHSA-aaaa-bbbb-0001", "PyPI", name, [{"introduced": "0"}, {"fixed": "1.0"}])
    version = int(vulndb.merge(index_advisories([first]))["version"])
    CACHE.clear()
    s3_gets.clear()
    assert [a["id"] for a in vulndb.lookup_at(version)(key)] == ["GHSA-aaaa-bbbb-0001"]
    assert [a["id"] for a in vulndb.lookup_at(version)(key)] == ["GHSA-aaaa-bbbb-0001"]
    assert s3_gets.count(vulndb.object_key(key)) == 1

    second = osv("GHSA-aaaa-bbbb-0002", "PyPI", name, [{"introduced": "2.0"}])
    newer = int(vulndb.merge(index_advisories([second]))["version"])
    assert newer > version
    s3_gets.clear()
    ids = [a["id"] for a in vulndb.lookup_at(newer)(key)]
    assert ids == ["GHSA-aaaa-bbbb-0001", "GHSA-aaaa-bbbb-0002"]
    assert s3_gets.count(vulndb.object_key(key)) == 1  # not the older version's answer
