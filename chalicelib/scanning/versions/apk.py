"""Alpine (apk) version ordering, written here because general libraries get `_git` and the
other post-release suffixes wrong.

A version is `number{.number}[letter]{_suffix[number]}[-rN]`. It is read as a sequence of typed
tokens; two versions compare token by token, a differing value deciding. Where one version has a
token of another type (or has ended), a pre-release suffix (`_alpha` `_beta` `_pre` `_rc`) makes
it older, otherwise the version whose token comes later in the type order below is older; the
end of a version comes last. So 1.0_rc1 < 1.0 < 1.0-r1 < 1.0_git2023 < 1.0_p1 < 1.0a < 1.0.1.
A `.` component starting with zeros compares by its zeros first (1.001 < 1.01 < 1.1), as apk
does."""

from __future__ import annotations

import re

from chalicelib.scanning.errors import ScanInputError

# Token types, in apk's order.
_FRACTION, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NUMBER, _REVISION, _END = range(7)
_PRE = ("alpha", "beta", "pre", "rc")
_POST = ("cvs", "svn", "git", "hg", "p")
# pre-release suffixes first so `_pre` is not read as `_p` + "re".
_SUFFIX_NAME = re.compile("|".join(_PRE + _POST))
# A later token may have a lower type only in these steps: a `.` after digits, a suffix after
# a suffix number, digits after a letter.
_ALLOWED_DOWN = {(_DIGIT, _FRACTION), (_SUFFIX_NUMBER, _SUFFIX), (_LETTER, _DIGIT)}

Token = tuple[int, int]


def _suffix_value(name: str) -> int:
    return _PRE.index(name) - len(_PRE) if name in _PRE else _POST.index(name)


def tokens(version: str) -> list[Token]:
    """(type, value) per token, ending with the end token; ScanInputError if not apk's grammar."""
    out: list[Token] = []
    kind, i = _DIGIT, 0
    if not version or not version[0].isdigit():
        raise ScanInputError(f"apk version {version[:80]!r} does not start with a number")
    while True:
        if kind in (_DIGIT, _FRACTION, _SUFFIX_NUMBER, _REVISION):
            if kind == _FRACTION and version.startswith("0", i):
                # Zeros before the last one count against the component (1.001 < 1.01 <
                # 1.1); the last zero and what follows are then read as a number.
                zeros = len(version) - i - len(version[i:].lstrip("0"))
                out.append((_FRACTION, -(zeros - 1)))
                i += zeros - 1
                kind = next_kind = _DIGIT
                continue
            else:
                end = i
                while end < len(version) and "0" <= version[end] <= "9":
                    end += 1
                if end == i:
                    raise ScanInputError(f"apk version {version[:80]!r}: number expected")
                out.append((kind, int(version[i:end])))
                i, next_kind = end, -1
        elif kind == _LETTER:
            out.append((_LETTER, ord(version[i])))
            i, next_kind = i + 1, -1
        else:  # _SUFFIX
            match = _SUFFIX_NAME.match(version, i)
            if not match:
                raise ScanInputError(f"apk version {version[:80]!r}: unknown suffix")
            out.append((_SUFFIX, _suffix_value(match.group())))
            i, next_kind = match.end(), -1
        if i >= len(version):
            out.append((_END, 0))
            return out
        if next_kind < 0:
            next_kind = _next_kind(version, i, kind)
            i += {_FRACTION: 1, _SUFFIX: 1, _REVISION: 2}.get(next_kind, 0)
        if next_kind < kind and (kind, next_kind) not in _ALLOWED_DOWN:
            raise ScanInputError(f"apk version {version[:80]!r}: parts out of order")
        if next_kind == kind and kind in (_LETTER, _REVISION, _SUFFIX_NUMBER, _DIGIT):
            raise ScanInputError(f"apk version {version[:80]!r}: repeated part")
        kind = next_kind


def _next_kind(version: str, i: int, kind: int) -> int:
    char = version[i]
    if kind in (_DIGIT, _FRACTION) and "a" <= char <= "z":
        return _LETTER
    if kind == _LETTER and char.isdigit():
        return _DIGIT
    if kind == _SUFFIX and char.isdigit():
        return _SUFFIX_NUMBER
    if char == ".":
        return _FRACTION
    if char == "_":
        return _SUFFIX
    if version.startswith("-r", i):
        return _REVISION
    raise ScanInputError(f"apk version {version[:80]!r}: unexpected {char!r}")


def _rank(token: Token) -> tuple[int, int]:
    """One token's place: pre-release suffixes below everything, then later types below
    earlier ones, then by value."""
    kind, value = token
    if kind == _SUFFIX and value < 0:
        return (0, value)
    return (1 + _END - kind, value)


def key(version: str) -> tuple[tuple[int, int], ...]:
    return tuple(_rank(token) for token in tokens(version))
