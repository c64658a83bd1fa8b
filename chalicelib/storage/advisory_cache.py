"""Advisory index lookups kept by a function instance between scans.

Images built on one base share most of their packages, and a warm scan function scans one
image after another: without this, every scan GETs one index object per distinct package
(hundreds), most of them read by the previous scan. An entry is keyed by the database's
version as well as the index key, so a new version is never answered from an older one (the
sync and imports write the index, then publish the version: vulndb.py); entries of older
versions age out. Bounded by the bytes of the bodies kept, least recently used first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MAX_BYTES = 64 << 20  # of JSON bodies; the scan function has 2 GB

Fetch = Callable[[str], tuple[list[dict[str, Any]], int]]


class AdvisoryCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, str], tuple[list[dict[str, Any]], int]] = (
            OrderedDict()
        )
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def lookup(self, version: int, key: str, fetch: Fetch) -> list[dict[str, Any]]:
        """The advisories under `key` at `version`: kept, or fetched (advisories, body size)
        and kept. Concurrent misses of one key may both fetch; both answers are equal."""
        with self._lock:
            found = self._entries.get((version, key))
            if found is not None:
                self._entries.move_to_end((version, key))
                self.hits += 1
                return found[0]
            self.misses += 1
        advisories, size = fetch(key)
        with self._lock:
            if (version, key) not in self._entries and size <= self._max_bytes:
                self._entries[(version, key)] = (advisories, size)
                self._bytes += size
                while self._bytes > self._max_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
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
