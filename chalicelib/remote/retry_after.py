"""A 429's `Retry-After` as seconds to wait: RFC 9110 allows a count of seconds or an
HTTP-date, and a registry's rate limit (Docker Hub's pull limit) may send either. Pure, so
the cache can honour it without asking upstream again before the time is up."""

from __future__ import annotations

import email.utils

# A wait longer than this is taken as this: a misconfigured upstream must not park the cache
# for days on one answer.
LONGEST = 3600


def seconds(value: str | None, now: float) -> int | None:
    """Whole seconds from `now` (epoch) until a retry is welcome; None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(int(text), LONGEST)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    wait = when.timestamp() - now
    return max(0, min(int(wait + 0.999), LONGEST))
