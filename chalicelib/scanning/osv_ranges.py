"""OSV's evaluation rules (schema "Evaluation"): a version is affected when it is listed in
`versions`, or when a range's events, sorted by version, leave it vulnerable (`introduced`
opens, `fixed` closes at, `last_affected` closes after) and it is below one of the range's
`limit`s (none means no limit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.versions.ecosystems import VersionKey, version_key

_OPENING = "introduced"
_CLOSING = ("fixed", "last_affected")


class _Lowest:
    """`introduced: "0"`: below every version of every ecosystem."""

    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Lowest)

    def __gt__(self, other: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Lowest)

    def __hash__(self) -> int:
        return 0


LOWEST = _Lowest()


def _event(event: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(event, Mapping) or len(event) != 1:
        raise ScanInputError("an OSV event has exactly one of introduced/fixed/last_affected/limit")
    ((kind, value),) = event.items()
    if kind not in (_OPENING, *_CLOSING, "limit") or not isinstance(value, str):
        raise ScanInputError(f"unknown OSV event {kind!r}")
    return kind, value


def in_range(version: Any, events: Sequence[Mapping[str, Any]], key: VersionKey) -> bool:
    """`version` is already a key of `key`."""
    parsed = [_event(event) for event in events]
    limits = [value for kind, value in parsed if kind == "limit"]
    if limits and not any(limit == "*" or version < key(limit) for limit in limits):
        return False
    ordered = sorted(
        (
            (LOWEST if kind == _OPENING and value == "0" else key(value), index, kind)
            for index, (kind, value) in enumerate(parsed)
            if kind != "limit"
        ),
        key=lambda point: (_Sortable(point[0]), point[1]),
    )
    vulnerable = False
    for point, _, kind in ordered:
        if kind == _OPENING:
            vulnerable = vulnerable or point is LOWEST or version >= point
        elif point is not LOWEST and (
            version >= point if kind == "fixed" else version > point  # last_affected
        ):
            vulnerable = False
    return vulnerable


class _Sortable:
    """Sort keys with LOWEST first, whatever the ecosystem's key type."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Sortable) -> bool:
        if self.value is LOWEST:
            return other.value is not LOWEST
        if other.value is LOWEST:
            return False
        return bool(self.value < other.value)


def is_affected(version: str, ecosystem: str, affected: Mapping[str, Any]) -> bool:
    """One `affected[]` entry, for a package already known to be the one it names. Ranges in
    an ordering this code does not have (GIT) are left out; ScanInputError if the installed
    version or an event cannot be ordered."""
    listed = affected.get("versions") or []
    if isinstance(listed, list) and version in listed:
        return True
    for entry in affected.get("ranges") or []:
        range_type = entry.get("type", "") if isinstance(entry, Mapping) else ""
        if range_type == "GIT":
            continue
        key = version_key(ecosystem, range_type)
        if in_range(key(version), entry.get("events") or [], key):
            return True
    return False
