"""Approximately how many times a day each repository is pulled, without a write per pull.

A pull (a manifest GET answered 200, by tag or by digest; a HEAD is not one, a blob GET is a
layer of one) adds one to this function instance's tally in memory, keyed by repository and
UTC day. The first pull that finds the tally FLUSH_EVERY old writes it: one UpdateItem per
repository and day it holds (`ADD pulls :n`, so instances add up without reading), at most
MAX_WRITES of them, oldest first (the rest wait for the next flush). So an instance writes at
most once a minute per repository it served, however many pulls it answered, and every other
pull makes no call beyond its one read (tests/api/test_pull_calls.py pins it).

Why not ride the last-pull write (chalicelib/storage/pulls.py)? It happens at most once a day
per tag and manifest, so counts would wait a day in memory, and most would die with their
instance: Lambda reclaims idle instances within minutes.

The bound is paid for in accuracy, which the pages and docs state ("approximately"): an
instance that stops loses what it counted since its last flush (at most a minute of its pulls,
or all of them if it never saw a pull a minute after its first), and a write that fails drops
its counts rather than risk adding them twice. The local server flushes too, on the same rule.
A count lands on the day its pulls happened, even when flushed after midnight.

Each counter item (`PULLS#<repository>`/`<day>`, chalicelib/storage/keys.py) expires KEEP
after its day (the table's TTL), so a deleted repository's counters go by themselves."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from time import monotonic

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import PynamoDBException

from chalicelib.log import logger
from chalicelib.storage.clock import now
from chalicelib.storage.keys import pulls_pk, pulls_sk
from chalicelib.storage.models import _Item

FLUSH_EVERY = 60.0  # seconds: at most one flush a minute per instance
MAX_WRITES = 25  # UpdateItems per flush, so no single pull pays for a long tail
KEEP = timedelta(days=90)


class PullCountItem(_Item):
    """pk=PULLS#<repository>, sk=<YYYY-MM-DD>: the pulls counted that UTC day."""

    pulls = NumberAttribute(default=0)
    expires_at = NumberAttribute()  # DynamoDB TTL


_lock = threading.Lock()
_tally: Counter[tuple[str, date]] = Counter()
_since: float | None = None  # when the tally's oldest unflushed pull was counted


def count(repository: str) -> int:
    """After a pull of `repository`: count it, and write the tally if it is due. Returns the
    number of counter writes made (0 on almost every pull). Never raises: a pull is not
    refused for its statistics."""
    global _since
    moment = monotonic()
    with _lock:
        _tally[(repository, now().astimezone(UTC).date())] += 1
        if _since is None:
            _since = moment
        if moment - _since < FLUSH_EVERY:
            return 0
    return flush()


def flush() -> int:
    """Write what this instance counted (at most MAX_WRITES counters, oldest days first);
    what is left waits for the next due pull. Returns the number of writes made."""
    global _since
    with _lock:
        due = sorted(_tally.items(), key=lambda item: (item[0][1], item[0][0]))[:MAX_WRITES]
        for key, _ in due:
            del _tally[key]
        _since = monotonic() if _tally else None
    written = 0
    for (repository, day), pulls in due:
        try:
            _add(repository, day, pulls)
            written += 1
        except PynamoDBException as error:  # dropped, not retried: never counted twice
            logger.warning("could not record %d pulls of %s", pulls, repository, exc_info=error)
    return written


def pending() -> int:
    """Pulls this instance has counted and not written yet."""
    with _lock:
        return sum(_tally.values())


def forget() -> None:
    """Drop the unwritten tally (tests, and an instance starting over)."""
    global _since
    with _lock:
        _tally.clear()
        _since = None


def _add(repository: str, day: date, pulls: int) -> None:
    expires = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1) + KEEP
    PullCountItem(pulls_pk(repository), pulls_sk(day)).update(
        actions=[
            PullCountItem.pulls.add(pulls),
            PullCountItem.expires_at.set(int(expires.timestamp())),
        ]
    )


def per_day(repository: str, first: date, last: date) -> dict[date, int]:
    """The pulls written for each day from `first` to `last` (one Query; days without pulls
    are absent)."""
    found: dict[date, int] = {}
    for item in PullCountItem.query(
        pulls_pk(repository), PullCountItem.sk.between(pulls_sk(first), pulls_sk(last))
    ):
        found[date.fromisoformat(item.sk)] = int(item.pulls)
    return found
