"""Times as a person reads them: "2026-12-04 13:02 UTC (3 h ago)", the exact value kept in the
element's `title` and `datetime`. Pure: the present is passed in, so tests fix it.

Image configs write RFC 3339 with nanoseconds (`2026-12-04T13:02:03.123456789Z`), which
`datetime.fromisoformat` refuses before Python 3.11 and rounds oddly after; `parse` keeps the
first six fraction digits, since a page shows minutes anyway."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape

RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d)[Tt ](?P<time>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d\d:\d\d)"
)


def parse(text: str) -> datetime | None:
    """An RFC 3339 time (any number of fraction digits), in UTC; None when it is not one."""
    match = RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = "+00:00" if match["zone"] in ("Z", "z") else match["zone"]
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{zone}")
    except ValueError:  # 2026-13-45 and the like
        return None
    return moment.astimezone(UTC)


def ago(moment: datetime, now: datetime) -> str:
    """How long before `now`, in the largest whole unit: "just now", "5 min ago", "3 h ago",
    "12 days ago"; a moment after `now` (a clock ahead of ours) is "in the future"."""
    seconds = (now - moment).total_seconds()
    if seconds < -60:
        return "in the future"
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    days = hours // 24
    if days < 730:
        return f"{days} days ago"
    return f"{days // 365} years ago"


def minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def element(moment: datetime, now: datetime, exact: str | None = None) -> str:
    """A `<time>`: the minute in UTC and how long ago; the exact value (as stored, when given)
    in its title for whoever needs it."""
    shown = exact if exact is not None else moment.astimezone(UTC).isoformat()
    machine = moment.astimezone(UTC).isoformat()
    return (
        f'<time datetime="{escape(machine, quote=True)}" title="{escape(shown, quote=True)}">'
        f"{escape(minute(moment))} ({escape(ago(moment, now))})</time>"
    )
