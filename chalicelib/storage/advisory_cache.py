"""Advisory index lookups kept by a function instance between scans.

Images built on one base share most of their packages, and a warm scan function scans one
image after another: without this, every scan GETs one index object per distinct package
(hundreds), most of them read by the previous scan. An entry remembers the database version
it was read at; a scan at a later version uses it only if no version in between changed its
key (vulndb.changed_between: each version records the keys it changed before it is
published), so a new version costs a read of what it changed, not of everything. Bounded by
the bytes of the bodies kept, least recently used first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MAX_BYTES = 64 << 20  # of JSON bodies; the scan function has 2 GB

Fetch = Callable[[str], tuple[list[dict[str, Any]], int]]
# (from version, to version) -> the keys changed in between, None if not known.
Changes = Callable[[int, int], frozenset[str] | None]


def _never_known(_after: int, _upto: int) -> frozenset[str] | None:
    return None


class AdvisoryCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        # key -> (version read at, advisories, body size)
        self._entries: OrderedDict[str, tuple[int, list[dict[str, Any]], int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def lookup(
        self, version: int, key: str, fetch: Fetch, changes: Changes = _never_known
    ) -> list[dict[str, Any]]:
        """The advisories under `key` at `version`: kept (read at this version, or at an
        earlier one whose later versions did not change `key`), or fetched and kept.
        Concurrent misses of one key may both fetch; both answers are equal."""
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] <= version:
            changed = frozenset() if found[0] == version else changes(found[0], version)
            if changed is not None and key not in changed:
                with self._lock:
                    if key in self._entries:
                        self._entries[key] = (version, found[1], found[2])
                        self._entries.move_to_end(key)
                    self.hits += 1
                return found[1]
        with self._lock:
            self.misses += 1
        advisories, size = fetch(key)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous[2]
            if size <= self._max_bytes:
                self._entries[key] = (version, advisories, size)
                self._bytes += size
                while self._bytes > self._max_bytes:
                    _, (_, _, dropped) = self._entries.popitem(last=False)
                    self._bytes -= dropped
        return advisories

    @property
    def bytes_kept(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = 0


CACHE = AdvisoryCache()
