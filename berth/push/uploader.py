"""How a blob's bytes reach the registry: the seam between the push and the transport.

`Uploader` is the protocol the pusher calls once it knows a blob must be sent (not already there,
not mountable). `StandardUploader` sends it through the standard upload API: chunked PATCHes
with Content-Range when the registry advertises `OCI-Chunk-Min-Length` or a chunk size is given
(each chunk read from disk as it is sent: memory is one chunk per thread), else one streamed PUT.
The session URL and confirmed offset are recorded after every chunk so an interrupted push
resumes where the registry stopped. A direct-to-S3 `S3Uploader` (issue 4's registry extension:
presigned PUT or multipart part URLs, then a verify-and-link call) implements the same protocol
and is chosen when the registry advertises the extension.
"""

from __future__ import annotations

import threading
from typing import IO, Protocol

from berth.push.content import Blob, RangeReader
from berth.push.errors import ExitCode, PushError
from berth.push.progress import Progress
from berth.push.registry import Registry, UploadSession
from berth.push.state import PushState

MiB = 1024 * 1024
# Fits in one AWS Lambda request (about 4.4 MB of binary body), so chunked pushes work against
# `berth serve --lambda-limits` and a deployed Berth; registries may ask for more.
DEFAULT_CHUNK_SIZE = 4 * MiB
CHUNK_RETRIES = 3
_RETRIED = (ExitCode.NETWORK, ExitCode.REFUSED)


class Cancelled(Exception):
    """Another blob failed: stop between chunks (the recorded state lets a rerun resume)."""


class Uploader(Protocol):
    def upload(self, blob: Blob, session: UploadSession | None) -> None:
        """Send `blob` so the registry links it into the repository; `session` is one the
        registry already opened for it (a declined mount), if any."""
        ...


class _Counting(RangeReader):
    def __init__(self, blob: Blob, start: int, progress: Progress) -> None:
        super().__init__(blob.content, start)
        self._blob = blob
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        if data:
            self._progress.advance(self._blob.digest, len(data))
        return data


class StandardUploader:
    def __init__(
        self,
        registry: Registry,
        state: PushState,
        progress: Progress,
        *,
        chunk_size: int | None = None,
        cancelled: threading.Event | None = None,
    ) -> None:
        """`chunk_size`: None to chunk only when the registry asks (at least DEFAULT_CHUNK_SIZE),
        0 never to chunk, else that size (raised to the registry's minimum)."""
        self.registry = registry
        self.state = state
        self.progress = progress
        self.chunk_size = chunk_size
        self.cancelled = cancelled or threading.Event()

    def _chunk(self, chunk_min: int | None) -> int:
        if self.chunk_size == 0:
            return 0
        if self.chunk_size is None:
            return max(DEFAULT_CHUNK_SIZE, chunk_min) if chunk_min else 0
        return max(self.chunk_size, chunk_min or 0)

    def upload(self, blob: Blob, session: UploadSession | None) -> None:
        resumed = self._resume(blob)
        if resumed is not None:
            if session is not None:
                self.registry.cancel(session.location)
            location, offset, chunk = resumed
        else:
            if session is None:
                session = self.registry.open_session()
            location, offset, chunk = session.location, 0, self._chunk(session.chunk_min)
        self.progress.started(blob.digest, blob.size, offset)
        if (chunk and blob.size > chunk) or offset:
            self._chunked(blob, location, offset, chunk or DEFAULT_CHUNK_SIZE)
        else:
            self._monolithic(blob, location)
        self.state.forget_upload(blob.digest)
        self.progress.finished(blob.digest)

    def _resume(self, blob: Blob) -> tuple[str, int, int] | None:
        """The recorded session of `blob` and where it stands, if the registry still has it."""
        recorded = self.state.upload(blob.digest)
        if recorded is None:
            return None
        location, recorded_offset, chunk = recorded
        try:
            offset = self.registry.offset(location)
        except PushError as error:
            if error.code is ExitCode.NETWORK:
                raise
            offset = None
        if offset == 1 and recorded_offset == 0:
            offset = 0  # `Range: 0-0` also means "nothing yet"
        if offset is None or offset > blob.size:
            self.state.forget_upload(blob.digest)
            return None
        return location, offset, chunk or self._chunk(None) or DEFAULT_CHUNK_SIZE

    def _monolithic(self, blob: Blob, location: str) -> None:
        reader: IO[bytes] = _Counting(blob, 0, self.progress)  # type: ignore[assignment]
        with reader:
            self.registry.finish(location, blob.digest, reader, blob.size)

    def _chunked(self, blob: Blob, location: str, offset: int, chunk: int) -> None:
        self.state.record_upload(blob.digest, location, offset, chunk)
        failures = 0
        while True:
            if self.cancelled.is_set():
                raise Cancelled()
            length = min(chunk, blob.size - offset)
            try:
                if offset + length >= blob.size:
                    data = blob.content.read(offset, length) if length else None
                    self.registry.finish(location, blob.digest, data, length, offset)
                    self.progress.moved_to(blob.digest, blob.size)
                    return
                data = blob.content.read(offset, length)
                location, confirmed = self.registry.patch(location, data, offset)
            except PushError as error:
                if failures >= CHUNK_RETRIES or error.code not in _RETRIED:
                    raise
                confirmed = self._resync(location, error)
            if confirmed == offset + length:
                failures = 0
            else:
                failures += 1
                if failures > CHUNK_RETRIES:
                    raise PushError(
                        ExitCode.REFUSED,
                        f"upload of {blob.digest} stuck at byte {confirmed} after retries",
                    )
            self.progress.moved_to(blob.digest, confirmed)
            offset = confirmed
            self.state.record_upload(blob.digest, location, offset, chunk)

    def _resync(self, location: str, error: PushError) -> int:
        """After a failed chunk: where the registry's session stands (or the error if gone)."""
        try:
            offset = self.registry.offset(location)
        except PushError:
            raise error from None
        if offset is None:
            raise error
        return offset
