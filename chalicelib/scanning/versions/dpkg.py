"""Debian version ordering (Debian Policy 5.6.12): [epoch:]upstream[-revision], each part
compared as alternating non-digit runs (letters before other characters, `~` before even the
end of the string) and digit runs compared as numbers."""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

_DIGITS = frozenset("0123456789")


def _weight(char: str) -> int:
    """Ordering of one character of a non-digit run; 0 is the end of the run."""
    if char == "~":
        return -1
    if char.isascii() and char.isalpha():
        return ord(char)
    return ord(char) + 256


def compare_part(a: str, b: str) -> int:
    """dpkg's comparison of an upstream version or a revision; <0, 0 or >0."""
    i = j = 0
    while i < len(a) or j < len(b):
        # The non-digit run, character by character (a digit or the end weighs 0).
        while (i < len(a) and a[i] not in _DIGITS) or (j < len(b) and b[j] not in _DIGITS):
            left = _weight(a[i]) if i < len(a) and a[i] not in _DIGITS else 0
            right = _weight(b[j]) if j < len(b) and b[j] not in _DIGITS else 0
            if left != right:
                return left - right
            i, j = i + 1, j + 1
        # The digit run, as a number (a missing run is 0).
        start_i = i
        while i < len(a) and a[i] in _DIGITS:
            i += 1
        start_j = j
        while j < len(b) and b[j] in _DIGITS:
            j += 1
        left_number = int(a[start_i:i] or "0")
        right_number = int(b[start_j:j] or "0")
        if left_number != right_number:
            return -1 if left_number < right_number else 1
    return 0


def split(version: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision); an epoch that is not a number is part of upstream."""
    epoch = 0
    head, colon, rest = version.partition(":")
    if colon and head.isdigit() and head.isascii():
        epoch, version = int(head), rest
    upstream, dash, revision = version.rpartition("-")
    if not dash:
        return epoch, version, ""
    return epoch, upstream, revision


def compare(a: str, b: str) -> int:
    epoch_a, upstream_a, revision_a = split(a)
    epoch_b, upstream_b, revision_b = split(b)
    if epoch_a != epoch_b:
        return -1 if epoch_a < epoch_b else 1
    return compare_part(upstream_a, upstream_b) or compare_part(revision_a, revision_b)


_KEY = cmp_to_key(compare)


def key(version: str) -> Any:
    return _KEY(version)
