"""Part buffers, used again rather than made for each part.

A part is filled where it is received and sent from the same memory. A fresh 16 MiB buffer
per part is a fresh mapping from the OS (the fixed mmap threshold, server.py), which the
kernel faults in and zeroes page by page: for a proxy that otherwise only copies and
hashes, that was a fifth of its CPU time. Buffers come back once their part is sent (or its
send failed), and at most `keep` wait here, so memory stays what the part pool bounds."""

from __future__ import annotations

import threading


class PartBuffers:
    """Buffers of `size` bytes: `take` one (an idle one, or a new one), `give` it back."""

    def __init__(self, size: int, keep: int = 0) -> None:
        self.size = size
        self.keep = keep
        self._idle: list[bytearray] = []
        self._lock = threading.Lock()

    def take(self) -> bytearray:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return bytearray(self.size)

    def give(self, buffer: bytearray) -> None:
        """`buffer` is no longer read by anyone (its part was sent, or dropped)."""
        if len(buffer) != self.size:
            return
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(buffer)

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)
