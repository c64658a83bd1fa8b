"""One clock for the runtime and moto's S3, moved forward by a test instead of sleeping:
the runtime's `clock.source` (every `now`/`epoch`: links, candidates, index entries, leases)
and the LastModified moto stamps on objects both read real time plus `offset`, so an
object, a release and a link made at the same virtual moment age together."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import moto.s3.models

from chalicelib.storage import clock

_models: Any = moto.s3.models  # `utcnow` is imported there, not exported


@dataclass(slots=True)
class VirtualClock:
    offset: timedelta = field(default_factory=timedelta)

    def advance(self, by: timedelta) -> None:
        self.offset += by

    def now(self) -> datetime:
        return clock.now()


@contextmanager
def virtual_clock() -> Iterator[VirtualClock]:
    """While inside, runtime and S3 time run `offset` ahead of the real time."""
    moved = VirtualClock()
    real_source: Callable[[], datetime] = clock.source
    real_s3: Callable[[], datetime] = _models.utcnow
    clock.source = lambda: real_source() + moved.offset
    _models.utcnow = lambda: real_s3() + moved.offset
    try:
        yield moved
    finally:
        clock.source = real_source
        _models.utcnow = real_s3
