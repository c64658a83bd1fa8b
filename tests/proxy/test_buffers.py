"""Part buffers (berth/proxy/buffers.py) used again: a session fills each part into a buffer
its sink gives back once sent, so however a client splits a blob, the parts are the same
bytes in the same order while the buffers made stay as few as the parts alive at once; at
most `keep` idle ones are held, and a buffer of another size is never taken in."""

from __future__ import annotations

import hashlib
import itertools

from hypothesis import given
from hypothesis import strategies as st

from berth.proxy.buffers import PartBuffers
from berth.proxy.sessions import Sessions
from chalicelib.oci.digest import parse_digest

PART = 64


class Counting(PartBuffers):
    def __init__(self, size: int, keep: int) -> None:
        super().__init__(size, keep)
        self.made = 0

    def take(self) -> bytearray:
        if not self.idle:
            self.made += 1
        return super().take()


class Returning:
    """A sink that copies each part out, then gives its buffer back (as a sent part's is)."""

    def __init__(self, buffers: PartBuffers) -> None:
        self.buffers = buffers
        self.parts: list[tuple[int, bytes]] = []
        self.completed: tuple[str, int] | None = None

    def part(self, number: int, data: memoryview) -> None:
        self.parts.append((number, bytes(data)))
        assert isinstance(data.obj, bytearray)
        self.buffers.give(data.obj)

    def authorize(self, authorization: str | None) -> None:
        pass

    def complete(self, digest: str, size: int) -> None:
        self.completed = (digest, size)

    def cancel(self) -> None:
        pass


@given(
    data=st.binary(max_size=700),
    cuts=st.lists(st.integers(min_value=0, max_value=700), max_size=12),
)
def test_parts_are_the_same_bytes_from_one_reused_buffer(data: bytes, cuts: list[int]) -> None:
    buffers = Counting(PART, keep=2)
    sink = Returning(buffers)
    upload = Sessions(PART, buffers=buffers).open("team/app", sink)
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for a, b in itertools.pairwise(points):
        upload.append(None, iter([data[a:b]]), b - a)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    upload.finish(parse_digest(digest))
    expected = [data[i : i + PART] for i in range(0, len(data), PART)] or [b""]
    assert sink.parts == list(enumerate(expected, 1))
    assert sink.completed == (digest, len(data))
    assert buffers.made == (1 if data else 0)  # each part's buffer came back for the next


def test_at_most_keep_idle_buffers_and_only_of_the_part_size() -> None:
    buffers = PartBuffers(PART, keep=2)
    taken = [buffers.take() for _ in range(4)]
    assert all(len(b) == PART for b in taken) and len({id(b) for b in taken}) == 4
    for buffer in taken:
        buffers.give(buffer)
    buffers.give(bytearray(PART - 1))
    assert buffers.idle == 2
    again = {id(buffers.take()), id(buffers.take())}
    assert again <= {id(b) for b in taken} and buffers.idle == 0
