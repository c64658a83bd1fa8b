"""zstd:chunked layers for the tests (written by bench/chunkedlayer.py), and a fetch over one
in memory that records the ranges read."""

from __future__ import annotations

import io
from typing import Any

from bench.chunkedlayer import PREFIX, ChunkedLayer, chunked_layer

__all__ = ["PREFIX", "ChunkedLayer", "chunked_layer", "fetch_from"]


def fetch_from(blob: bytes, reads: list[tuple[int, int]]) -> Any:
    """A fetch over bytes in memory that records each range read."""

    def fetch(start: int, end: int) -> io.BytesIO:
        reads.append((start, end))
        return io.BytesIO(blob[start:end])

    return fetch
