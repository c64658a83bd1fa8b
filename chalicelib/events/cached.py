"""A list read at most once per interval per function instance: the stream consumer matches
every change against the webhooks and triggers, so it reads each list with one Query per
`seconds`, not one per change. A change through this instance (`forget`) reads it again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Cached(Generic[T]):
    def __init__(self, load: Callable[[], list[T]], seconds: float) -> None:
        self._load = load
        self._seconds = seconds
        self._lock = threading.Lock()
        self._value: tuple[float, list[T]] | None = None

    def forget(self) -> None:
        with self._lock:
            self._value = None

    def current(self, clock: float | None = None) -> list[T]:
        moment = time.monotonic() if clock is None else clock
        with self._lock:
            if self._value is not None and moment - self._value[0] < self._seconds:
                return self._value[1]
        found = self._load()
        with self._lock:
            self._value = (moment, found)
        return found
