"""Keep freed upload buffers from lingering in the heap.

glibc serves a large allocation with mmap and returns it on free, but after the first such
free it raises its mmap threshold (up to 32 MiB), so later 16-21 MiB chunk buffers come from
per-thread heaps that rarely shrink: RSS then grows with the number of threads that ever
carried a chunk. A fixed threshold turns that adaptation off.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt parameter number of M_MMAP_THRESHOLD in glibc's malloc.h.
_M_MMAP_THRESHOLD = -3
# Allocations from this size up are mmapped, and unmapped when freed.
MMAP_THRESHOLD = 1024 * 1024


def return_large_buffers_to_the_os() -> bool:
    """Fix glibc's mmap threshold; False where there is no glibc (nothing to do there)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
