"""The advisory index keys an image's packages look up, in a few bytes, stored with its scan
result, so the rescan after a database change can tell, without reading the image's report,
whether any key the change touched is one of the image's.

Each key is kept as the first 4 bytes of its SHA-256, sorted: 3.2 KB for 800 packages, one
read unit with the rest of the result item. A collision can only make an image look affected
(a rescan too many, about one image in five million per changed key); a key of the image is
never missed. A Bloom filter of the same size would not do: a daily database change touches
hundreds of keys, and a filter answering "maybe" 1% of the time per key would send nearly
every image to a rescan."""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable

WIDTH = 4  # bytes per key
FORMAT = b"\x01"


def key_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:WIDTH], "big")


def pack(keys: Iterable[str]) -> bytes:
    """The encoded, sorted hashes of `keys`."""
    hashes = sorted({key_hash(key) for key in keys})
    return FORMAT + b"".join(h.to_bytes(WIDTH, "big") for h in hashes)


def _unpack(encoded: bytes) -> list[int] | None:
    body = encoded[1:]
    if encoded[:1] != FORMAT or len(body) % WIDTH:
        return None
    return [int.from_bytes(body[i : i + WIDTH], "big") for i in range(0, len(body), WIDTH)]


def touches(encoded: bytes, changed: Iterable[str]) -> bool:
    """False only if no key of `changed` is among the packed keys; True if one may be (or if
    the packed keys cannot be read: the caller then rescans, as for a hit)."""
    hashes = _unpack(encoded)
    if hashes is None:
        return True
    for key in changed:
        wanted = key_hash(key)
        at = bisect_left(hashes, wanted)
        if at < len(hashes) and hashes[at] == wanted:
            return True
    return False
