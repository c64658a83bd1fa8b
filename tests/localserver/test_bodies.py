"""Request bodies: Content-Length and chunked framing, read a piece at a time."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.localserver.bodies import BodyError, ChunkedBody, FixedBody, Prepended


def _chunked(*pieces: bytes, trailer: bytes = b"") -> io.BufferedReader:
    wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailer + b"\r\n"
    return io.BufferedReader(io.BytesIO(wire + b"GET /next HTTP/1.1\r\n"))


def test_chunked_body_is_decoded_across_chunk_boundaries() -> None:
    stream = _chunked(b"hello ", b"chunked ", b"world")
    body = ChunkedBody(stream)
    assert body.length is None
    assert body.read(3) == b"hel"
    assert body.read(100) == b"lo chunked world"
    assert body.read(10) == b""
    assert stream.read() == b"GET /next HTTP/1.1\r\n"  # the next request is left intact


def test_chunk_extensions_and_trailers_are_skipped() -> None:
    wire = b"5;name=value\r\nabcde\r\n0\r\nX-Checksum: 1\r\n\r\nrest"
    stream = io.BufferedReader(io.BytesIO(wire))
    assert ChunkedBody(stream).read(100) == b"abcde"
    assert stream.read() == b"rest"


@pytest.mark.parametrize(
    "wire",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # not hex
        b"-3\r\nabc\r\n0\r\n\r\n",  # negative
        b"5\r\nabc",  # ends inside a chunk
        b"3\r\nabcXY0\r\n\r\n",  # data longer than its size
        b"3\r\nabc\r\n",  # no last chunk
        b"3\nabc\r\n0\r\n\r\n",  # bare LF (issue 11, D10): parsers disagree on it
        b"3\r\nabc\n0\r\n\r\n",
        b"3\r\nabc\r\n0\r\n\n",
        b"0x3\r\nabc\r\n0\r\n\r\n",  # int() takes these; HTTP does not
        b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n",
    ],
)
def test_malformed_chunked_bodies_raise(wire: bytes) -> None:
    body = ChunkedBody(io.BufferedReader(io.BytesIO(wire)))
    with pytest.raises(BodyError):
        body.read(100)
        body.read(100)


@given(size=st.integers(min_value=1, max_value=2**80))
def test_a_chunk_past_the_limit_is_413_before_a_byte_is_read(size: int) -> None:
    limit = 1 << 20
    wire = f"{size:x}\r\n".encode() + b"x" * 16
    body = ChunkedBody(io.BufferedReader(io.BytesIO(wire)), limit)
    if size <= limit:
        assert body.read(min(size, 16)) == b"x" * min(size, 16)
        return
    with pytest.raises(BodyError) as caught:
        body.read(1)
    assert caught.value.status == 413


def test_drain_of_a_body_longer_than_its_limit_reads_nothing() -> None:
    """It answers at once (and the connection closes) instead of waiting for the bytes."""
    stream = io.BufferedReader(io.BytesIO(b"x" * 10))
    assert FixedBody(stream, 1 << 40).drain(1 << 20) is False
    assert stream.read() == b"x" * 10


def test_fixed_body_stops_at_its_length_and_complains_when_short() -> None:
    stream = io.BufferedReader(io.BytesIO(b"0123456789NEXT"))
    body = FixedBody(stream, 10)
    assert body.read(4) == b"0123"
    assert body.drain(100) is True
    assert stream.read() == b"NEXT"
    with pytest.raises(BodyError):
        FixedBody(io.BufferedReader(io.BytesIO(b"short")), 10).read(10)


def test_drain_gives_up_past_its_limit() -> None:
    body = FixedBody(io.BufferedReader(io.BytesIO(b"x" * (3 << 20))), 3 << 20)
    assert body.drain(1 << 20) is False


def test_prepended_reads_the_prefix_then_the_body() -> None:
    body = Prepended(b"abc", FixedBody(io.BufferedReader(io.BytesIO(b"defg")), 4))
    assert body.read(2) == b"ab"
    assert body.read(3) == b"cde"
    assert body.read(10) == b"fg"
    assert body.read(10) == b""
