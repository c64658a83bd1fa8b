"""Times as the commands take and print them: `--since` takes an age (`90m`, `1h`, `7d`, `2w`)
or an ISO 8601 time; every table prints one format, UTC to the second (`2026-12-04T19:20:00Z`),
while --json keeps the registry's own values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
SHOWN = "%Y-%m-%dT%H:%M:%SZ"


def _parsed(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def since(value: str, clock: Callable[[], datetime]) -> str:
    """`value` as an ISO 8601 UTC time: an age counted back from `clock()`, or a time (no
    zone: UTC). ValueError names both forms."""
    number, unit = value[:-1], value[-1:]
    if unit in UNITS and number.isdigit():
        moment = clock() - timedelta(seconds=int(number) * UNITS[unit])
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        return _parsed(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise ValueError(
            f"{value!r} is neither an age (90m, 1h, 7d, 2w) nor an ISO 8601 time"
        ) from None


def wall_clock() -> datetime:
    return datetime.now(UTC)


def shown(value: object) -> str:
    """A registry time (ISO 8601, any precision, or epoch seconds) as tables print it; `-`
    for none."""
    if value is None or value == "":
        return "-"
    try:
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(float(value), UTC)
        else:
            moment = _parsed(str(value))
    except (ValueError, OverflowError, OSError):
        return str(value)
    return moment.astimezone(UTC).strftime(SHOWN)
