"""The bound on audit writes for logins and denials: the only events a caller can cause
without any right, so the only ones that could turn requests into writes.

Per function instance, for each (event, principal, source address): the first event writes a
record; the following ones within `BERTH_AUDIT_BOUND_SECONDS` (default 60) are only counted
in memory; the first one after the window writes a record whose `count` includes them. So
an instance writes at most one record per key per window, whatever the request rate, and
no count is lost while the instance lives (the last window's tail of an instance that stops
is: counts are lower bounds, said so in docs/access.md).

Why in memory rather than a DynamoDB counter like `ratelimit.py`'s: a shared counter costs a
write per event, the very amplification this avoids. Failed logins already pay ratelimit's
counter writes (and are refused with 429 past the limit, before any password check); this adds
at most one write per window on top. The number of keys held is bounded too: past
`MAX_KEYS`, events fold into one key per event kind (`*`), recorded with their count.
"""

from __future__ import annotations

import os
import threading
import time

MAX_KEYS = 4096
# The time windows are measured on; tests replace it rather than wait for a window to pass.
clock = time.monotonic
_lock = threading.Lock()
# key -> [window start (monotonic), events suppressed since the last write]
_seen: dict[tuple[str, str, str], list[float]] = {}


def window_seconds() -> float:
    return float(os.environ.get("BERTH_AUDIT_BOUND_SECONDS", "60"))


def admit(event: str, who: str, source: str, *, now: float | None = None) -> int | None:
    """The count to record now (this event and those suppressed before it), or None: counted,
    not written."""
    current = clock() if now is None else now
    window = window_seconds()
    key = (event, who, source)
    with _lock:
        if key not in _seen and len(_seen) >= MAX_KEYS:
            for old in [k for k, v in _seen.items() if current - v[0] >= window and not v[1]]:
                del _seen[old]
            if len(_seen) >= MAX_KEYS:
                key = (event, "*", "*")
        entry = _seen.get(key)
        if entry is None:
            _seen[key] = [current, 0]
            return 1
        if current - entry[0] >= window:
            count = 1 + int(entry[1])
            entry[0], entry[1] = current, 0
            return count
        entry[1] += 1
        return None


def reset() -> None:
    with _lock:
        _seen.clear()
