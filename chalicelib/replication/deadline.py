"""When a copy must stop so that its progress is saved before Lambda ends the run: the
run's remaining time (Lambda's context; injected in tests) minus a margin that covers one
chunk in flight and the write that records it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# One 8 MiB PATCH to a slow destination and a table write, with room to spare.
MARGIN_SECONDS = 60.0


class OutOfTime(RuntimeError):
    """The run's time is up; the copy's progress is saved and the next run continues it."""


@dataclass(frozen=True, slots=True)
class Deadline:
    remaining: Callable[[], float]  # seconds left in this run
    margin: float = MARGIN_SECONDS

    def passed(self) -> bool:
        return self.remaining() <= self.margin


NEVER = Deadline(lambda: float("inf"))
