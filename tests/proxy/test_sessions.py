"""The proxy's upload sessions (berth/proxy/sessions.py): however a client splits a blob into
chunks the spool holds the same bytes and the same digest; a chunk at the wrong offset, a
short body or a broken one changes nothing; a wrong digest is refused; idle sessions expire
by the injected clock, never by wall time."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.proxy.sessions import Sessions, Upload
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(
    data=st.binary(max_size=4096),
    cuts=st.lists(st.integers(min_value=0, max_value=4096), max_size=12),
    with_ranges=st.booleans(),
    pieces=st.integers(min_value=1, max_value=5),
)
def test_any_chunk_split_gives_the_same_bytes_and_digest(
    tmp_path_factory: pytest.TempPathFactory,
    data: bytes,
    cuts: list[int],
    with_ranges: bool,
    pieces: int,
) -> None:
    sessions = Sessions(tmp_path_factory.mktemp("spool"), clock=Clock())
    upload = sessions.open("team/app")
    for chunk in _splits(data, cuts):
        # Each request body arrives in `pieces` reads, as from a socket.
        size = max(1, -(-len(chunk) // pieces))
        reads = [chunk[i : i + size] for i in range(0, len(chunk), size)]
        start = upload.offset if with_ranges else None
        upload.append(start, iter(reads), len(chunk))
    upload.finish(parse_digest(_sha256(data)))
    assert upload.offset == len(data)
    assert upload.path.read_bytes() == data
    sessions.close(upload)
    assert not upload.path.exists()
    assert len(sessions) == 0


def _opened(directory: Path, content: bytes = b"") -> tuple[Sessions, Upload]:
    sessions = Sessions(directory, clock=Clock())
    upload = sessions.open("team/app", "Bearer t")
    if content:
        upload.append(0, iter([content]), len(content))
    return sessions, upload


@given(start=st.integers(min_value=0, max_value=10**12).filter(lambda s: s != 3))
def test_a_chunk_at_another_offset_is_416_and_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, start: int
) -> None:
    _, upload = _opened(tmp_path_factory.mktemp("spool"), b"abc")
    with pytest.raises(OCIError) as raised:
        upload.append(start, iter([b"def"]), 3)
    assert raised.value.status == 416
    assert raised.value.headers == {"Range": "0-2"}
    assert upload.offset == 3
    assert upload.path.read_bytes() == b"abc"


def test_a_body_shorter_than_declared_is_undone(tmp_path: Path) -> None:
    _, upload = _opened(tmp_path, b"abc")
    with pytest.raises(OCIError) as raised:
        upload.append(3, iter([b"de"]), 3)
    assert raised.value.code == "SIZE_INVALID"
    assert upload.offset == 3
    assert upload.path.read_bytes() == b"abc"
    upload.append(3, iter([b"def"]), 3)  # the client sends it again: the hash is whole
    upload.finish(parse_digest(_sha256(b"abcdef")))


def test_a_body_that_breaks_midway_leaves_the_session_as_it_was(tmp_path: Path) -> None:
    _, upload = _opened(tmp_path, b"abc")

    def broken() -> Iterator[bytes]:
        yield b"de"
        raise OSError("connection reset")

    with pytest.raises(OSError):
        upload.append(None, broken())
    assert (upload.offset, upload.path.read_bytes()) == (3, b"abc")
    upload.append(None, iter([b"def"]))
    upload.finish(parse_digest(_sha256(b"abcdef")))


def test_a_wrong_digest_is_digest_invalid(tmp_path: Path) -> None:
    _, upload = _opened(tmp_path, b"abc")
    with pytest.raises(OCIError) as raised:
        upload.finish(parse_digest(_sha256(b"abd")))
    assert raised.value.code == "DIGEST_INVALID"
    assert raised.value.status == 400


def test_sha512_digests_are_checked_too(tmp_path: Path) -> None:
    _, upload = _opened(tmp_path, b"abc")
    upload.finish(parse_digest("sha512:" + hashlib.sha512(b"abc").hexdigest()))
    with pytest.raises(OCIError):
        upload.finish(parse_digest("sha512:" + hashlib.sha512(b"abd").hexdigest()))


def test_a_session_is_bound_to_its_repository(tmp_path: Path) -> None:
    sessions, upload = _opened(tmp_path)
    assert sessions.get("team/app", upload.id) is upload
    assert upload.authorization == "Bearer t"
    for repository, upload_id in (("team/other", upload.id), ("team/app", "f" * 32)):
        with pytest.raises(OCIError) as raised:
            sessions.get(repository, upload_id)
        assert raised.value.code == "BLOB_UPLOAD_UNKNOWN"
        assert raised.value.status == 404


def test_idle_sessions_expire_by_the_clock_unless_in_use(tmp_path: Path) -> None:
    clock = Clock()
    sessions = Sessions(tmp_path, clock=clock, idle_seconds=60)
    idle, busy, recent = (sessions.open("team/app") for _ in range(3))
    clock.now += 61
    sessions.get("team/app", recent.id)  # touched: stays
    with busy.lock:
        assert sessions.expire() == [idle.id]
    assert not idle.path.exists()
    assert {u.id for u in (busy, recent)} == {
        sessions.get("team/app", u.id).id for u in (busy, recent)
    }
    sessions.close_all()
    assert len(sessions) == 0
    assert list(tmp_path.iterdir()) == []
