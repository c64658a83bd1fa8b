"""Upload sessions as the proxy keeps them: the bytes a client sends (POST, PATCH chunks,
PUT) are cut into S3 parts as they arrive and each full part is handed to a `PartSink`
(send.py puts it to S3 through the registry's streamed `s3-uploads` session), while the
whole blob's SHA-256 is computed, so the client's digest is checked before the registry is
asked to link anything. Memory per session: the part being filled (a buffer the sink gives
back once the part is sent, buffers.py); parts in flight are bounded by the sink.

The state machine, per session: `append` at the offset it holds (a Content-Range that starts
elsewhere is 416, and nothing changes); what arrives counts even if the body then breaks
(the client asks GET for the offset and resumes there, as the distribution spec says);
`finish` hands over the last, short part (or one empty part for an empty blob) and checks
the digest. Idle sessions expire (`expire`), read from an injected clock.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from berth.proxy.buffers import PartBuffers
from chalicelib.oci.digest import Digest
from chalicelib.oci.errors import OCIError

# A session nobody touched for this long is dropped (and its S3 upload cancelled).
IDLE_SECONDS = 3600.0
# A body is read this much at a time: under glibc's fixed mmap threshold (1 MiB, server.py),
# so the pieces come from the heap and are reused, never faulted in afresh from the OS.
READ_PIECE = 1008 * 1024


class PartSink(Protocol):
    """Where the parts go (numbered from 1, in order), and then the blob's digest and size."""

    def part(self, number: int, data: memoryview) -> None:
        """Take part `number` (may block, to bound memory); `data` is a view of a buffer
        from the session's `PartBuffers`, which the sink may give back once it is sent."""

    def authorize(self, authorization: str | None) -> None:
        """The client's latest Authorization, for the sink's own requests."""

    def complete(self, digest: str, size: int) -> None:
        """Every part was given: have the blob linked (raises OCIError if refused)."""

    def cancel(self) -> None:
        """The upload is abandoned: drop what was sent."""


def _unknown(upload_id: str) -> OCIError:
    return OCIError("BLOB_UPLOAD_UNKNOWN", f"upload {upload_id[:64]!r} is not known to the proxy")


@dataclass
class Upload:
    """One blob being received: how many bytes, their SHA-256, the part being filled."""

    id: str
    repository: str
    part_size: int
    sink: PartSink = field(repr=False)
    touched: float = 0.0
    # The Authorization of the client's latest request on this session: the sink's calls
    # to the registry carry it (a client refreshes its token between requests).
    authorization: str | None = field(default=None, repr=False)
    offset: int = 0
    parts: int = 0  # handed to the sink
    buffers: PartBuffers | None = field(default=None, repr=False)  # None: a new one per part
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)
    _buffer: bytearray | None = field(default=None, repr=False)  # the next part, filling
    _filled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, start: int | None, pieces: Iterable[bytes], length: int | None = None) -> int:
        """Take the body's bytes at `start` (None: where the session stands, as a streamed
        PATCH without Content-Range); `length`, when the client declared one, must be what
        arrives (SIZE_INVALID otherwise; what did arrive is kept). The new offset."""
        if start is not None and start != self.offset:
            raise OCIError(
                "BLOB_UPLOAD_INVALID",
                f"this chunk starts at byte {start}, the upload holds {self.offset}",
                status=416,
                headers={"Range": f"0-{max(self.offset - 1, 0)}"},
            )
        began = self.offset
        for piece in pieces:
            self._take(piece)
        if length is not None and self.offset - began != length:
            raise OCIError(
                "SIZE_INVALID",
                f"the body held {self.offset - began} bytes, not the {length} declared",
            )
        return self.offset

    def _take(self, piece: bytes) -> None:
        self._hash.update(piece)
        self.offset += len(piece)
        rest = memoryview(piece)
        while rest:
            if self._buffer is None:
                self._buffer = self._new_buffer()
            head = rest[: self.part_size - self._filled]
            self._buffer[self._filled : self._filled + len(head)] = head
            self._filled += len(head)
            rest = rest[len(head) :]
            if self._filled == self.part_size:
                self._hand_over()

    def _new_buffer(self) -> bytearray:
        return self.buffers.take() if self.buffers is not None else bytearray(self.part_size)

    def _hand_over(self) -> None:
        data = memoryview(self._buffer if self._buffer is not None else bytearray())
        self._buffer = None
        filled, self._filled = self._filled, 0
        self.parts += 1
        self.sink.part(self.parts, data[:filled])

    def finish(self, digest: Digest) -> None:
        """Check that the bytes received are `digest` (DIGEST_INVALID if not), hand over the
        last part (an empty blob is one empty part) and complete the blob at the sink."""
        if digest.algorithm != "sha256":
            raise OCIError("DIGEST_INVALID", "berth proxy sends sha256 blobs only (S3's checksum)")
        actual = self._hash.hexdigest()
        if actual != digest.hex:
            raise OCIError(
                "DIGEST_INVALID",
                f"the {self.offset} bytes uploaded are sha256:{actual}, not {digest}",
            )
        if self._filled or self.parts == 0:
            self._hand_over()
        self.sink.complete(str(digest), self.offset)


class Sessions:
    """The open uploads of one proxy, by id."""

    def __init__(
        self,
        part_size: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        idle_seconds: float = IDLE_SECONDS,
        buffers: PartBuffers | None = None,
    ) -> None:
        self.part_size = part_size
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.buffers = buffers
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def open(self, repository: str, sink: PartSink, authorization: str | None = None) -> Upload:
        self.expire()
        upload = Upload(
            uuid.uuid4().hex,
            repository,
            self.part_size,
            sink,
            self.clock(),
            authorization,
            buffers=self.buffers,
        )
        with self._lock:
            self._uploads[upload.id] = upload
        return upload

    def get(self, repository: str, upload_id: str) -> Upload:
        """The live upload `upload_id`, opened in `repository` (another's is unknown here)."""
        with self._lock:
            upload = self._uploads.get(upload_id)
        if upload is None or upload.repository != repository:
            raise _unknown(upload_id)
        upload.touched = self.clock()
        return upload

    def close(self, upload: Upload, *, cancel: bool = False) -> None:
        """Forget `upload` (completed, or with `cancel` failed or abandoned: its sink drops
        what it sent)."""
        with self._lock:
            self._uploads.pop(upload.id, None)
        if cancel:
            upload.sink.cancel()

    def expire(self) -> list[str]:
        """Drop uploads idle past the limit; their ids. An upload in use (locked) stays."""
        limit = self.clock() - self.idle_seconds
        with self._lock:
            stale = [u for u in self._uploads.values() if u.touched < limit]
        dropped = []
        for upload in stale:
            if upload.lock.acquire(blocking=False):
                try:
                    self.close(upload, cancel=True)
                    dropped.append(upload.id)
                finally:
                    upload.lock.release()
        return dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._uploads)

    def close_all(self) -> None:
        with self._lock:
            uploads = list(self._uploads.values())
        for upload in uploads:
            self.close(upload, cancel=True)
