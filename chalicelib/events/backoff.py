"""When a failed webhook delivery is tried again: exponential with full jitter, capped, over
more than a day, then the dead-letter queue. SQS delays a message by at most 15 minutes, so
a longer wait is served as several hops (see chalicelib/events/deliver.py)."""

from __future__ import annotations

import random

FIRST_SECONDS = 10
CAP_SECONDS = 6 * 3600
# 10 s, 20 s, 40 s, ... capped at 6 h: even at the shortest jitter, attempt 20 comes more
# than 24 h after the first.
MAX_ATTEMPTS = 20
SQS_MAX_DELAY = 900


def delay(attempt: int, rng: random.Random | None = None) -> int:
    """Seconds to wait after failed attempt number `attempt` (1-based): between half and the
    whole of the exponential step (jitter spreads receivers' recoveries)."""
    step = min(CAP_SECONDS, FIRST_SECONDS << (attempt - 1))
    low = step // 2
    jitter: int = (rng or random.Random()).randint(0, step - low)
    return low + jitter


def exhausted(attempt: int) -> bool:
    return attempt >= MAX_ATTEMPTS


def minimum_total() -> int:
    """The shortest time from the first attempt to the dead-letter queue."""
    total = 0
    for attempt in range(1, MAX_ATTEMPTS):
        step = min(CAP_SECONDS, FIRST_SECONDS << (attempt - 1))
        total += step // 2
    return total
