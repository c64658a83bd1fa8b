"""Upstream bearer tokens kept in the function instance between requests, per upstream,
principal and scopes, until shortly before they expire: a cache fill or revalidation then
costs no token request (and no 401 round trip) while the token lives.

In memory only: a token is as secret as the credentials that bought it, so it is never
written to the table or a log. An instance that is recycled asks again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from chalicelib.remote.session import TokenKey

# Given back this long before the realm's expiry, so a token never lapses in flight.
MARGIN_SECONDS = 10
MOST = 256  # entries kept; past it the oldest to expire goes first

# Tests replace this instead of reading the wall clock.
monotonic: Callable[[], float] = time.monotonic


class UpstreamTokens:
    """A TokenStore (chalicelib/remote/session.py) shared by every cache session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[TokenKey, tuple[str, float]] = {}

    def get(self, key: TokenKey) -> str | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            if found[1] <= monotonic():
                del self._kept[key]
                return None
            return found[0]

    def put(self, key: TokenKey, authorization: str, lifetime: int) -> None:
        until = monotonic() + max(0, lifetime - MARGIN_SECONDS)
        with self._lock:
            self._kept[key] = (authorization, until)
            if len(self._kept) > MOST:
                del self._kept[min(self._kept, key=lambda k: self._kept[k][1])]

    def drop(self, key: TokenKey, authorization: str) -> None:
        """Forget a token upstream refused (revoked, or expired early)."""
        with self._lock:
            if self._kept.get(key, ("", 0.0))[0] == authorization:
                del self._kept[key]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


tokens = UpstreamTokens()
