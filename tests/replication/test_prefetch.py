"""The read-ahead between S3 and the destination (chalicelib/replication/prefetch.py): the
same chunks in the same order, at most two windows read and not yet let go of, a reader's
failure raised to the sender, and a sender that stops closes the source on the reader's
thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.replication.prefetch import prefetched


class Source:
    """Chunks handed out one by one, counting those alive (read, not yet consumed past)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.read = 0
        self.closed_on: str | None = None
        self.lock = threading.Lock()

    def __iter__(self) -> Generator[bytes, None, None]:
        try:
            for chunk in self.chunks:
                with self.lock:
                    self.read += 1
                yield chunk
        finally:
            self.closed_on = threading.current_thread().name


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=64), max_size=20), st.integers(1, 3))
def test_every_chunk_arrives_in_order_and_at_most_ahead_plus_one_are_read(
    chunks: list[bytes], ahead: int
) -> None:
    source = Source(chunks)
    got: list[bytes] = []
    for number, chunk in enumerate(prefetched(iter(source), ahead), start=1):
        time.sleep(0.001)  # let the reader run as far ahead as it may
        assert source.read <= number + ahead  # this one, and `ahead` after it
        got.append(chunk)
    assert got == chunks
    assert source.closed_on == "berth-prefetch"


def test_a_failing_read_is_raised_to_the_sender() -> None:
    def broken() -> Generator[bytes, None, None]:
        yield b"one"
        raise OSError("S3 connection reset")

    stream = prefetched(broken())
    assert next(stream) == b"one"
    with pytest.raises(OSError, match="reset"):
        next(stream)


def test_a_sender_that_stops_closes_the_source_and_the_reader_ends() -> None:
    source = Source([bytes([n]) * 8 for n in range(100)])
    stream = prefetched(iter(source))
    assert next(stream) == b"\0" * 8
    stream.close()  # the upload failed or its run ran out of time
    assert source.closed_on == "berth-prefetch"
    assert source.read <= 3  # it stopped reading: nothing like the 100 chunks
    assert not [t for t in threading.enumerate() if t.name == "berth-prefetch"]
