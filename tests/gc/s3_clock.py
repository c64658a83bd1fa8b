"""Objects written in the past: moto dates each S3 object by its own clock, which a test can
set back instead of sleeping until an object is older than the grace period."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import moto.s3.models

_models: Any = moto.s3.models  # `utcnow` is imported there, not exported


@contextmanager
def s3_clock_behind(age: timedelta) -> Iterator[None]:
    """While inside, moto's S3 stamps new objects `age` before the real time."""
    real: Callable[[], datetime] = _models.utcnow

    def behind() -> datetime:
        return real() - age

    _models.utcnow = behind
    try:
        yield
    finally:
        _models.utcnow = real
