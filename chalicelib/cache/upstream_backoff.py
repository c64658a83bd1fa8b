"""An upstream that answered 429 with `Retry-After` is not asked again before that time, by
this function instance: a miss is answered 429 TOOMANYREQUESTS at once (with the time left)
and a stale tag is served from the cache without a revalidation. Asking again early would
only spend more of the pull limit that ran out (Docker Hub counts per IP and account)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# Tests replace this instead of reading the wall clock.
monotonic: Callable[[], float] = time.monotonic

_lock = threading.Lock()
_until: dict[str, float] = {}  # upstream URL -> monotonic time it may be asked again


def hold(upstream: str, seconds: int | None) -> None:
    """Remember upstream's `Retry-After` (nothing to remember without one)."""
    if not seconds:
        return
    with _lock:
        _until[upstream] = max(_until.get(upstream, 0.0), monotonic() + seconds)


def waiting(upstream: str) -> int | None:
    """Whole seconds before `upstream` may be asked again, or None if it may be now."""
    with _lock:
        until = _until.get(upstream)
        if until is None:
            return None
        left = until - monotonic()
        if left <= 0:
            del _until[upstream]
            return None
        return math.ceil(left)


def forget() -> None:
    with _lock:
        _until.clear()
