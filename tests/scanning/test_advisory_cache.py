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


@settings(max_examples=200, deadline=None)
@given(
    lookups=st.lists(st.tuples(st.integers(0, 3), st.sampled_from("abcdefgh")), max_size=60),
    max_bytes=st.integers(0, 40),
)
def test_answers_equal_a_fresh_read_and_stay_bounded(
    lookups: list[tuple[int, str]], max_bytes: int
) -> None:
    cache = AdvisoryCache(max_bytes)
    fetched: list[tuple[int, str]] = []
    for version, key in lookups:

        def fetch(k: str, v: int = version) -> tuple[list[dict[str, Any]], int]:
            fetched.append((v, k))
            return _content(v, k), 10

        assert cache.lookup(version, key, fetch) == _content(version, key)
        assert cache.bytes_kept <= max_bytes
    assert cache.hits + cache.misses == len(lookups) == cache.hits + len(fetched)
    if max_bytes >= 10 * 32:  # room for every (version, key): each is fetched once
        assert len(fetched) == len(set(fetched))


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
