"""The proxy's upload sessions (berth/proxy/sessions.py): however a client splits a blob into
chunks and reads, the sink gets the same parts (full ones of the part size, then the rest)
and the same digest; a chunk at the wrong offset changes nothing; what arrives before a body
breaks counts, and the offset says so; a wrong digest completes nothing; idle sessions
expire by the injected clock, never by wall time."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.proxy.sessions import Sessions, Upload
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError

PART = 64


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """A PartSink that keeps what it is given."""

    def __init__(self) -> None:
        self.parts: list[tuple[int, bytes]] = []
        self.completed: tuple[str, int] | None = None
        self.cancelled = False
        self.authorization: str | None = None

    def part(self, number: int, data: bytes) -> None:
        self.parts.append((number, data))

    def authorize(self, authorization: str | None) -> None:
        self.authorization = authorization

    def complete(self, digest: str, size: int) -> None:
        self.completed = (digest, size)

    def cancel(self) -> None:
        self.cancelled = True


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(
    data=st.binary(max_size=600),
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=12),
    with_ranges=st.booleans(),
    reads=st.integers(min_value=1, max_value=5),
)
def test_any_chunk_split_gives_the_same_parts_and_digest(
    data: bytes, cuts: list[int], with_ranges: bool, reads: int
) -> None:
    sink = Recorder()
    sessions = Sessions(PART, clock=Clock())
    upload = sessions.open("team/app", sink)
    for chunk in _splits(data, cuts):
        # Each request body arrives in `reads` pieces, as from a socket.
        size = max(1, -(-len(chunk) // reads))
        pieces = [chunk[i : i + size] for i in range(0, len(chunk), size)]
        upload.append(upload.offset if with_ranges else None, iter(pieces), len(chunk))
    upload.finish(parse_digest(_sha256(data)))

    expected = [data[i : i + PART] for i in range(0, len(data), PART)] or [b""]
    assert sink.parts == list(enumerate(expected, 1))
    assert sink.completed == (_sha256(data), len(data))
    assert upload.offset == len(data) and upload.parts == len(expected)


def _opened(content: bytes = b"") -> tuple[Sessions, Upload, Recorder]:
    sink = Recorder()
    sessions = Sessions(PART, clock=Clock())
    upload = sessions.open("team/app", sink, "Bearer t")
    if content:
        upload.append(0, iter([content]), len(content))
    return sessions, upload, sink


@given(start=st.integers(min_value=0, max_value=10**12).filter(lambda s: s != 3))
def test_a_chunk_at_another_offset_is_416_and_changes_nothing(start: int) -> None:
    _, upload, sink = _opened(b"abc")
    with pytest.raises(OCIError) as raised:
        upload.append(start, iter([b"def"]), 3)
    assert raised.value.status == 416
    assert raised.value.headers == {"Range": "0-2"}
    assert upload.offset == 3
    upload.finish(parse_digest(_sha256(b"abc")))
    assert sink.parts == [(1, b"abc")]


def test_what_arrived_before_a_body_broke_counts() -> None:
    _, upload, sink = _opened(b"abc")

    def broken() -> Iterator[bytes]:
        yield b"de"
        raise OSError("connection reset")

    with pytest.raises(OSError):
        upload.append(None, broken())
    assert upload.offset == 5  # GET says 0-4: the client resumes at 5
    with pytest.raises(OCIError) as raised:
        upload.append(5, iter([b"f"]), 2)  # declared 2, sent 1
    assert raised.value.code == "SIZE_INVALID"
    upload.append(6, iter([b"g"]), 1)
    upload.finish(parse_digest(_sha256(b"abcdefg")))
    assert sink.completed == (_sha256(b"abcdefg"), 7)


def test_a_wrong_or_non_sha256_digest_completes_nothing() -> None:
    _, upload, sink = _opened(b"abc")
    for digest in (_sha256(b"abd"), "sha512:" + hashlib.sha512(b"abc").hexdigest()):
        with pytest.raises(OCIError) as raised:
            upload.finish(parse_digest(digest))
        assert (raised.value.code, raised.value.status) == ("DIGEST_INVALID", 400)
    assert sink.completed is None and sink.parts == []


def test_a_session_is_bound_to_its_repository() -> None:
    sessions, upload, _ = _opened()
    assert sessions.get("team/app", upload.id) is upload
    assert upload.authorization == "Bearer t"
    for repository, upload_id in (("team/other", upload.id), ("team/app", "f" * 32)):
        with pytest.raises(OCIError) as raised:
            sessions.get(repository, upload_id)
        assert (raised.value.code, raised.value.status) == ("BLOB_UPLOAD_UNKNOWN", 404)


def test_idle_sessions_expire_by_the_clock_unless_in_use() -> None:
    clock = Clock()
    sessions = Sessions(PART, clock=clock, idle_seconds=60)
    sinks = [Recorder() for _ in range(3)]
    idle, busy, recent = (sessions.open("team/app", sink) for sink in sinks)
    clock.now += 61
    sessions.get("team/app", recent.id)  # touched: stays
    with busy.lock:
        assert sessions.expire() == [idle.id]
    assert [s.cancelled for s in sinks] == [True, False, False]
    assert len(sessions) == 2
    sessions.close(recent)  # completed: nothing to cancel
    sessions.close_all()
    assert [s.cancelled for s in sinks] == [True, True, False]
    assert len(sessions) == 0
