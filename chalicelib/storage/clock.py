"""Time, in one place so storage code and tests agree on it.

Modules bind `now` by name at import (`from chalicelib.storage.clock import now`), so a test
that replaced `now` itself would reach only the modules that look it up at call time, and a
module first imported while it was replaced would keep the fake for the rest of the process
(a frozen or far-future clock leaking into later tests' audit trails). Tests move `source`
instead: every caller of `now` sees it, and monkeypatch's undo reaches them all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def system_time() -> datetime:
    return datetime.now(UTC)


source: Callable[[], datetime] = system_time


def now() -> datetime:
    return source()


def epoch() -> int:
    return int(now().timestamp())
