"""Request bodies read from the socket a piece at a time, so a large upload is never held whole.

`FixedBody` reads a Content-Length body, `ChunkedBody` decodes `Transfer-Encoding: chunked`
(what docker sends for a layer), and `Prepended` puts back bytes already read to decide
how to forward a request.
"""

from __future__ import annotations

from typing import Protocol

# A chunk-size line or trailer line longer than this is not HTTP we want to parse.
_MAX_LINE = 8192
_MAX_TRAILERS = 64
# Draining reads this much at a time.
_DRAIN_PIECE = 1 << 20


class Stream(Protocol):
    """The buffered socket reader bodies are read from."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int | None = -1, /) -> bytes: ...


class BodyError(Exception):
    """The body is malformed or ended before its declared end (400), or is larger than any
    request may be (413): answer `status` and close."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# No request body is larger than S3's largest object (5 TiB): a longer declared length or
# chunk is answered 413 at once instead of waiting for bytes that will never come.
MAX_BODY = 5 * 1024**4
# More significant hex digits than this is no chunk size we accept (MAX_BODY has 11).
_MAX_SIZE_DIGITS = 16
_HEX_DIGITS = b"0123456789abcdefABCDEF"


class Body(Protocol):
    """A request body being read. `read(n)` returns n bytes, fewer only at the end."""

    @property
    def length(self) -> int | None:
        """The declared length, or None when chunked."""

    def read(self, size: int) -> bytes: ...

    def drain(self, limit: int) -> bool:
        """Discard up to `limit` unread bytes; True when the body is now fully read."""


def _discard(body: Body, limit: int) -> bool:
    discarded = 0
    while discarded <= limit:
        piece = body.read(_DRAIN_PIECE)
        if not piece:
            return True
        discarded += len(piece)
    return False


class FixedBody:
    """A body of known length (Content-Length)."""

    def __init__(self, stream: Stream, length: int) -> None:
        self._stream = stream
        self._length = length
        self._remaining = length

    @property
    def length(self) -> int | None:
        return self._length

    def read(self, size: int) -> bytes:
        size = min(size, self._remaining)
        if size <= 0:
            return b""
        data = self._stream.read(size)
        if len(data) < size:
            raise BodyError(f"body ended after {self._length - self._remaining + len(data)} bytes")
        self._remaining -= size
        return data

    def drain(self, limit: int) -> bool:
        # More than `limit` left: say so at once, so the answer is not held while waiting
        # for bytes a client may never send (the connection is closed instead).
        return self._remaining <= limit and _discard(self, limit)


class ChunkedBody:
    """A `Transfer-Encoding: chunked` body, decoded; trailers are read and dropped."""

    def __init__(self, stream: Stream, limit: int = MAX_BODY) -> None:
        self._stream = stream
        self._limit = limit
        self._total = 0  # declared by the chunks so far
        self._left = 0  # bytes left in the current chunk
        self._started = False
        self._done = False

    @property
    def length(self) -> int | None:
        return None

    def read(self, size: int) -> bytes:
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0 and not self._done:
            if self._left == 0:
                self._next_chunk()
                continue
            take = min(wanted, self._left)
            data = self._stream.read(take)
            if len(data) < take:
                raise BodyError("chunked body ended inside a chunk")
            pieces.append(data)
            self._left -= take
            wanted -= take
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def drain(self, limit: int) -> bool:
        return self._left <= limit and _discard(self, limit)

    def _line(self) -> bytes:
        line = self._stream.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise BodyError("chunk line too long")
        if not line.endswith(b"\n"):
            raise BodyError("chunked body ended early")
        if not line.endswith(b"\r\n"):
            # A bare LF: parsers disagree on it, which is how requests get smuggled.
            raise BodyError("chunk line not ended by CRLF")
        return line[:-2]

    def _next_chunk(self) -> None:
        # The CRLF that ends the previous chunk's data comes first.
        if self._started and self._line() != b"":
            raise BodyError("chunk data longer than its size")
        self._started = True
        size_text = self._line().split(b";", 1)[0].strip()
        if not size_text or size_text.strip(_HEX_DIGITS):
            # Only hex digits: int() would also take "0x1", "+1" and "1_0".
            raise BodyError(f"bad chunk size {size_text[:40]!r}")
        if len(size_text.lstrip(b"0")) > _MAX_SIZE_DIGITS:
            raise BodyError(f"chunk size {size_text[:40]!r} is too large", status=413)
        size = int(size_text, 16)
        self._total += size
        if self._total > self._limit:
            raise BodyError(f"a body is at most {self._limit} bytes", status=413)
        if size == 0:
            self._read_trailers()
            self._done = True
        self._left = size

    def _read_trailers(self) -> None:
        for _ in range(_MAX_TRAILERS):
            if self._line() == b"":
                return
        raise BodyError("too many trailer lines")


class Prepended:
    """`prefix` (already read) followed by the rest of `body`."""

    def __init__(self, prefix: bytes, body: Body) -> None:
        self._prefix = prefix
        self._body = body

    @property
    def length(self) -> int | None:
        return self._body.length

    def read(self, size: int) -> bytes:
        if not self._prefix:
            return self._body.read(size)
        head, self._prefix = self._prefix[:size], self._prefix[size:]
        if len(head) == size:
            return head
        return head + self._body.read(size - len(head))

    def drain(self, limit: int) -> bool:
        self._prefix = b""
        return self._body.drain(limit)
