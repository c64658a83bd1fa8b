"""RPM version ordering: epoch, then version and release each compared the way rpmvercmp does
(alphanumeric segments, numbers above letters, `~` before anything and `^` after the base but
before any further segment)."""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _segment(text: str, start: int, numeric: bool) -> int:
    end = start
    test = _is_digit if numeric else (lambda c: c.isascii() and c.isalpha())
    while end < len(text) and test(text[end]):
        end += 1
    return end


def compare_segments(a: str, b: str) -> int:
    """rpmvercmp: <0, 0 or >0."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not _is_alnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < len(b) and not _is_alnum(b[j]) and b[j] not in "~^":
            j += 1
        left = a[i] if i < len(a) else ""
        right = b[j] if j < len(b) else ""
        if left == "~" or right == "~":
            if left != "~":
                return 1
            if right != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if left == "^" or right == "^":
            if not left:
                return -1
            if not right:
                return 1
            if left != "^":
                return 1
            if right != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (left and right):
            break
        numeric = _is_digit(left)
        end_i = _segment(a, i, numeric)
        end_j = _segment(b, j, numeric)
        if end_j == j:
            # Different kinds of segment: a number is newer than letters.
            return 1 if numeric else -1
        one, two = a[i:end_i], b[j:end_j]
        if numeric:
            one, two = one.lstrip("0"), two.lstrip("0")
            if len(one) != len(two):
                return -1 if len(one) < len(two) else 1
        if one != two:
            return -1 if one < two else 1
        i, j = end_i, end_j
    left_done = i >= len(a)
    right_done = j >= len(b)
    if left_done and right_done:
        return 0
    return -1 if left_done else 1


def split(evr: str) -> tuple[int, str, str]:
    """epoch:version-release; no epoch is 0, no release is empty."""
    epoch = 0
    head, colon, rest = evr.partition(":")
    if colon and head.isascii() and head.isdigit():
        epoch, evr = int(head), rest
    version, dash, release = evr.rpartition("-")
    if not dash:
        return epoch, evr, ""
    return epoch, version, release


def compare(a: str, b: str) -> int:
    epoch_a, version_a, release_a = split(a)
    epoch_b, version_b, release_b = split(b)
    if epoch_a != epoch_b:
        return -1 if epoch_a < epoch_b else 1
    return compare_segments(version_a, version_b) or compare_segments(release_a, release_b)


_KEY = cmp_to_key(compare)


def key(version: str) -> Any:
    return _KEY(version)
