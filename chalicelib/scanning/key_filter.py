"""A Bloom filter of the advisory index keys an image's packages look up, stored with its
scan result, so the rescan after a database change can tell, without reading the image's
report, whether any key the change touched is one of the image's.

A false positive costs one unneeded rescan; a false negative would hide a new finding, and a
Bloom filter has none: every key added sets all of its bits. About 10 bits per key and 7
probes: under 1% false positives."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

BITS_PER_KEY = 10
PROBES = 7
_HEADER = struct.Struct(">BI")  # format version, bit count
FORMAT = 1


def _positions(key: str, bits: int) -> list[int]:
    digest = hashlib.sha256(key.encode()).digest()
    first, second = struct.unpack(">QQ", digest[:16])
    second |= 1  # odd: the probes never repeat one position
    return [(first + i * second) % bits for i in range(PROBES)]


def build(keys: Iterable[str]) -> bytes:
    """The encoded filter of `keys` (an empty set gives a filter that contains nothing)."""
    distinct = sorted(set(keys))
    bits = max(64, len(distinct) * BITS_PER_KEY)
    bits += -bits % 8
    field = bytearray(bits // 8)
    for key in distinct:
        for position in _positions(key, bits):
            field[position // 8] |= 1 << (position % 8)
    return _HEADER.pack(FORMAT, bits) + bytes(field)


def might_contain(encoded: bytes, key: str) -> bool:
    """False only if `key` was certainly not added; True if it may have been (or if the
    filter cannot be read: the caller then rescans, as for a hit)."""
    if len(encoded) < _HEADER.size:
        return True
    version, bits = _HEADER.unpack_from(encoded)
    field = encoded[_HEADER.size :]
    if version != FORMAT or bits == 0 or bits != len(field) * 8:
        return True
    return all(field[p // 8] >> (p % 8) & 1 for p in _positions(key, bits))


def touches(encoded: bytes, changed: Iterable[str]) -> bool:
    return any(might_contain(encoded, key) for key in changed)
