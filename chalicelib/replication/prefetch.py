"""Read the next window of a blob while the current one is being sent.

Without it a copy alternates: wait for S3 to hand over 8 MiB, then wait for the destination
to take them, so each side idles half the time (a one-layer image copies at the speed of the
two added, not of the slower). A thread reads one window ahead; memory stays two windows per
blob in flight (the one being sent and the next), never the layer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator

_END = object()
JOIN_SECONDS = 30.0


def prefetched(chunks: Iterator[bytes], ahead: int = 1) -> Generator[bytes, None, None]:
    """What `chunks` yields, in order, read `ahead` windows in advance on a thread. Closing
    this generator (the upload failed or stopped) stops the reader and closes `chunks`
    (the S3 body) on the reader's own thread, which is the only one that iterates it."""
    slots = threading.Semaphore(ahead + 1)  # windows alive: the caller's one and those ahead
    ready: queue.SimpleQueue[object] = queue.SimpleQueue()
    stop = threading.Event()

    def read() -> None:
        try:
            while True:
                slots.acquire()
                if stop.is_set():
                    return
                chunk = next(chunks, _END)
                ready.put(chunk)
                if chunk is _END:
                    return
        except BaseException as error:  # handed to the caller, raised there
            ready.put(error)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="berth-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
            del item
            slots.release()  # the caller has moved on: the reader may fetch one more
    finally:
        stop.set()
        slots.release()  # wake a reader waiting for a slot, so it sees `stop`
        reader.join(JOIN_SECONDS)
