"""Retry on conflict: read, decide, write conditionally, and when a concurrent writer got
there first (the transaction's condition failed), read again and decide again.

Every conditional move of shared state (a blob link, a manifest push with its tags, a tag
move or delete, a rollback) is such a loop; they share this one so that how many times and
how patiently a request retries is one decision, made by a policy the caller can pass."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pynamodb.exceptions import TransactWriteError

from chalicelib.storage.errors import Busy
from chalicelib.storage.transactions import condition_failed

T = TypeVar("T")

MAX_ATTEMPTS = 10


class Again(Exception):
    """Raised by an attempt that found, before it wrote, that what it read is gone."""


class RetryRun(Protocol):
    def again(self, conflicts: int) -> bool:
        """After the `conflicts`-th conflict: wait as the policy says, and whether to retry."""
        ...


class RetryPolicy(Protocol):
    def start(self) -> RetryRun:
        """The state of one request's retries (a deadline, the last attempt's length)."""
        ...


def _no_pause(_conflicts: int) -> float:
    return 0.0


@dataclass(frozen=True, slots=True)
class Attempts:
    """At most `count` attempts, with `pause(n)` seconds (slept through `sleep`) after the
    n-th conflict: none by default, since the other writer has already committed."""

    count: int = MAX_ATTEMPTS
    pause: Callable[[int], float] = _no_pause
    sleep: Callable[[float], None] = time.sleep

    def start(self) -> Attempts:
        return self  # no state: the count of conflicts is all it needs

    def again(self, conflicts: int) -> bool:
        if conflicts >= self.count:
            return False
        seconds = self.pause(conflicts)
        if seconds > 0:
            self.sleep(seconds)
        return True


def until_committed(
    attempt: Callable[[], T],
    *,
    busy: str,
    policy: RetryPolicy = Attempts(),
    conflicted: Callable[[TransactWriteError], None] | None = None,
) -> T:
    """`attempt()`'s result once it commits (or decides there is nothing to write).

    A transaction refused by a condition (TransactionCanceled with ConditionalCheckFailed),
    or an `Again` raised by the attempt, is a conflict: `conflicted(error)` sees the former
    (to learn from it before the next read), then the policy decides; when it gives up, 503
    UNAVAILABLE with `busy` as the message. Any other error goes to the caller."""
    run = policy.start()
    conflicts = 0
    while True:
        try:
            return attempt()
        except Again:
            pass
        except TransactWriteError as error:
            if not condition_failed(error):
                raise
            if conflicted is not None:
                conflicted(error)
        conflicts += 1
        if not run.again(conflicts):
            raise Busy(busy)
