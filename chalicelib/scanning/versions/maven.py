"""Maven version ordering, Maven's ComparableVersion rules (what Maven itself and OSV's Maven
ecosystem use), written here: no pure-Python library implements them.

A version is lower-cased and split into items: numbers and strings, separated by `.`, by `-`
(which opens a nested list) and by a change between digits and letters (which also opens one).
Trailing "null" items (0, "", an empty list) are dropped from every list, so 1 == 1.0 == 1-0.
Qualifiers order as alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release
< sp < any other word (those by spelling); `a1`, `b1`, `m1` are alpha 1, beta 1, milestone 1.
Across kinds, a number is above a list, which is above a string; a missing item compares as the
null of the other's kind."""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE = str(_QUALIFIERS.index(""))
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

Item = int | str | list["Item"]


def _qualifier(value: str) -> str:
    """A string item's rank as a string: its index among the known qualifiers, else after them
    and by spelling."""
    return str(_QUALIFIERS.index(value)) if value in _QUALIFIERS else f"{len(_QUALIFIERS)}-{value}"


def _string(value: str, followed_by_digit: bool) -> str:
    if followed_by_digit and value in _SHORT:
        value = _SHORT[value]
    return _ALIASES.get(value, value)


def _is_null(item: Item) -> bool:
    return item == 0 or item == "" or item == []


def _normalise(items: list[Item]) -> None:
    for index in range(len(items) - 1, -1, -1):
        if _is_null(items[index]):
            del items[index]
        elif not isinstance(items[index], list):
            break


def parse(version: str) -> list[Item]:
    text = version.lower()
    root: list[Item] = []
    current = root
    stack = [root]
    digits = False
    start = 0

    def token(end: int) -> Item:
        piece = text[start:end]
        return int(piece) if digits else _string(piece, False)

    def open_list() -> list[Item]:
        nested: list[Item] = []
        current.append(nested)
        stack.append(nested)
        return nested

    for index, char in enumerate(text):
        if char in ".-":
            current.append(0 if index == start else token(index))
            start = index + 1
            if char == "-":
                current = open_list()
        elif "0" <= char <= "9":
            if not digits and index > start:
                current.append(_string(text[start:index], True))
                start = index
                current = open_list()
            digits = True
        else:
            if digits and index > start:
                current.append(token(index))
                start = index
                current = open_list()
            digits = False
    if len(text) > start:
        current.append(token(len(text)))
    for items in reversed(stack):
        _normalise(items)
    return root


def _against_null(item: Item) -> int:
    if isinstance(item, int):
        return 0 if item == 0 else 1
    if isinstance(item, str):
        left = _qualifier(item)
        return (left > _RELEASE) - (left < _RELEASE)
    return _against_null(item[0]) if item else 0


def _compare(left: Item, right: Item) -> int:
    if isinstance(left, int):
        if isinstance(right, int):
            return (left > right) - (left < right)
        return 1
    if isinstance(left, str):
        if isinstance(right, str):
            a, b = _qualifier(left), _qualifier(right)
            return (a > b) - (a < b)
        return -1
    if isinstance(right, int):
        return -1
    if isinstance(right, str):
        return 1
    for index in range(max(len(left), len(right))):
        if index >= len(left):
            result = -_against_null(right[index])
        elif index >= len(right):
            result = _against_null(left[index])
        else:
            result = _compare(left[index], right[index])
        if result:
            return result
    return 0


def compare(a: str, b: str) -> int:
    return _compare(parse(a), parse(b))


_KEY = cmp_to_key(compare)


def key(version: str) -> Any:
    return _KEY(version)
