"""Retrying a conditional write that lost a race (a tag moved by another client first).

A lost condition means another writer's write landed, so retrying always makes progress: the
writers of one tag are served one after another, and the last of N needs up to N attempts. A
fixed attempt count therefore fails clients (503) exactly when many push one tag at once
(issue 11, D8); this retries until the request's time budget is spent instead, and spreads the
writers with full-jitter exponential backoff so fewer of them collide on each round.

`sleep`, `monotonic` and `jitter` are module functions so tests can replace them (no test
sleeps or reads the wall clock).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

# Well inside API Gateway's 29 s: the request did work before its first attempt.
BUDGET_SECONDS = 20.0
FIRST_WAIT = 0.005
# N writers collide until they are spread over about N attempt-lengths, so the waits grow
# from the length of the attempt that lost (the collision window: ~30 ms on DynamoDB, far
# more on a loaded laptop's moto), doubling each time, up to this.
MAX_WAIT = 3.0

_random = random.Random()


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def monotonic() -> float:
    return time.monotonic()


def jitter(ceiling: float) -> float:
    """A wait drawn uniformly from [0, ceiling] ("full jitter")."""
    return _random.uniform(0.0, ceiling)


def backoff(attempt: int, took: float = 0.0) -> float:
    """The ceiling of the wait before attempt number `attempt` (1 for the first retry),
    after an attempt that took `took` seconds."""
    return min(MAX_WAIT, max(FIRST_WAIT, took) * 2.0 ** min(attempt, 30))


def attempts(budget: float = BUDGET_SECONDS) -> Iterator[int]:
    """Attempt numbers 0, 1, 2, ... for a retry loop, waiting (jittered) between two; ends
    when the next wait would end past `budget` seconds from the first attempt. The caller
    returns from inside the loop on success and raises its own error after it."""
    deadline = monotonic() + budget
    attempt = 0
    while True:
        began = monotonic()
        yield attempt
        took = monotonic() - began
        attempt += 1
        wait = jitter(backoff(attempt, took))
        if monotonic() + wait >= deadline:
            return
        sleep(wait)


class _BudgetRun:
    """One request's retries: waits grow from the length of the attempt that lost."""

    def __init__(self, budget: float) -> None:
        self.deadline = monotonic() + budget
        self.began = monotonic()

    def again(self, conflicts: int) -> bool:
        took = monotonic() - self.began
        wait = jitter(backoff(conflicts, took))
        if monotonic() + wait >= self.deadline:
            return False
        sleep(wait)
        self.began = monotonic()
        return True


class Budgeted:
    """The retry policy (chalicelib/storage/retry.py) of contended moves: full-jitter
    backoff until the request's time budget is spent, never a fixed count."""

    def __init__(self, budget: float = BUDGET_SECONDS) -> None:
        self.budget = budget

    def start(self) -> _BudgetRun:
        return _BudgetRun(self.budget)
