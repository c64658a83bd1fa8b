"""Opt-in sampling of successful reads in the request log: fewer bytes for CloudWatch Logs.

A pull is mostly blob GETs that succeed, and at a million pulls a month their log lines are
most of the log bill. `BERTH_LOG_SAMPLE_READS=N` (N >= 1; default 1: every line) keeps one line
in N of the successful reads a pull makes (`PULL_READS`: GET and HEAD of the base, catalog,
tags, manifests, blobs and referrers), chosen by a hash of the request id (deterministic, no
random state, so a request is either logged or not wherever it is replayed). A kept line
carries `sampled: N`, so Logs Insights counts requests as `sum(sampled)` and not `count()`.
Errors (4xx and 5xx), writes, tokens and the registry's own API are never sampled. The metrics
do not ride in these lines (chalicelib/metrics_buffer.py): every request's latency counts,
sampled out of the log or not.
"""

from __future__ import annotations

import os
import zlib
from functools import lru_cache

from chalicelib.oci.paths import Resource, parse_path

PULL_READS = frozenset(
    {
        Resource.BASE,
        Resource.CATALOG,
        Resource.TAGS,
        Resource.MANIFEST,
        Resource.BLOB,
        Resource.REFERRERS,
    }
)


@lru_cache(maxsize=1)
def read_sampling() -> int:
    """N of `BERTH_LOG_SAMPLE_READS` (1 when unset or not a whole number >= 1)."""
    try:
        return max(1, int(os.environ.get("BERTH_LOG_SAMPLE_READS", "1")))
    except ValueError:
        return 1


def pull_read(method: str, path: str) -> bool:
    """A GET or HEAD of what a pull reads (`PULL_READS`)."""
    if method.upper() not in ("GET", "HEAD"):
        return False
    endpoint = parse_path(path)
    return endpoint is not None and endpoint.resource in PULL_READS


def sample_weight(
    method: str, path: str, status: int, request_id: str, every: int | None = None
) -> int:
    """How many requests this line stands for: 1 (logged as usual), `every` (a kept sample),
    or 0 (left out)."""
    n = read_sampling() if every is None else every
    if n <= 1 or status >= 400 or not pull_read(method, path):
        return 1
    return n if zlib.crc32(request_id.encode("utf-8")) % n == 0 else 0
