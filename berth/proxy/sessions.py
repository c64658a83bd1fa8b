"""Upload sessions as the proxy keeps them: the bytes a client sends (POST, PATCH chunks,
PUT) are appended to a spool file on local disk while their SHA-256 is computed, so that
when the client's PUT names the digest the proxy knows the blob's digest and size before it
opens a session of the registry's `s3-uploads` extension (which needs both up front, and signs
a single PUT with the digest's checksum). Memory is one read piece per request, whatever the
layer size.

The state machine, per session: `append` at the offset it holds (a Content-Range that starts
elsewhere is 416, and nothing changes); a body that breaks mid-way is undone (the file is cut
back and the hash restored), so a failed request leaves the session where it was; `finish`
checks the digest and hands over the spooled bytes; `discard` removes them. Idle sessions
expire (`expire`), read from an injected clock.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.oci.digest import Digest
from chalicelib.oci.errors import OCIError

# A session nobody touched for this long is dropped with its spool file.
IDLE_SECONDS = 3600.0
READ_PIECE = 1024 * 1024


def _unknown(upload_id: str) -> OCIError:
    return OCIError("BLOB_UPLOAD_UNKNOWN", f"upload {upload_id[:64]!r} is not known to the proxy")


@dataclass
class Upload:
    """One blob being received: its spool file, how many bytes it holds, their SHA-256."""

    id: str
    repository: str
    path: Path
    touched: float
    # The Authorization of the client's POST: used to complete if the PUT carries none.
    authorization: str | None = field(default=None, repr=False)
    offset: int = 0
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, start: int | None, pieces: Iterable[bytes], length: int | None = None) -> int:
        """Append the body's bytes at `start` (None: where the session stands, as a streamed
        PATCH without Content-Range); `length`, when the client declared one, must be what
        arrives. Returns the new offset. On any failure the session is as it was."""
        if start is not None and start != self.offset:
            raise OCIError(
                "BLOB_UPLOAD_INVALID",
                f"this chunk starts at byte {start}, the upload holds {self.offset}",
                status=416,
                headers={"Range": f"0-{max(self.offset - 1, 0)}"},
            )
        saved = self._hash.copy()
        written = 0
        try:
            with self.path.open("ab") as spool:
                for piece in pieces:
                    spool.write(piece)
                    self._hash.update(piece)
                    written += len(piece)
            if length is not None and written != length:
                raise OCIError(
                    "SIZE_INVALID", f"the body held {written} bytes, not the {length} declared"
                )
        except BaseException:
            self._hash = saved
            os.truncate(self.path, self.offset)
            raise
        self.offset += written
        return self.offset

    def finish(self, digest: Digest) -> None:
        """Check that the bytes received are `digest` (DIGEST_INVALID if not: the session is
        then useless and the caller discards it)."""
        if digest.algorithm == "sha256":
            actual = self._hash.hexdigest()
        else:
            rehash = hashlib.new(digest.algorithm)
            with self.path.open("rb") as spool:
                while piece := spool.read(READ_PIECE):
                    rehash.update(piece)
            actual = rehash.hexdigest()
        if actual != digest.hex:
            raise OCIError(
                "DIGEST_INVALID",
                f"the {self.offset} bytes uploaded are {digest.algorithm}:{actual}, not {digest}",
            )

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class Sessions:
    """The open uploads of one proxy, by id; spool files live in `directory`."""

    def __init__(
        self,
        directory: Path,
        *,
        clock: Callable[[], float] = time.monotonic,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.directory = directory
        self.clock = clock
        self.idle_seconds = idle_seconds
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def open(self, repository: str, authorization: str | None = None) -> Upload:
        self.expire()
        upload_id = uuid.uuid4().hex
        path = self.directory / f"{upload_id}.spool"
        path.touch()
        upload = Upload(upload_id, repository, path, self.clock(), authorization)
        with self._lock:
            self._uploads[upload_id] = upload
        return upload

    def get(self, repository: str, upload_id: str) -> Upload:
        """The live upload `upload_id`, opened in `repository` (another's is unknown here)."""
        with self._lock:
            upload = self._uploads.get(upload_id)
        if upload is None or upload.repository != repository:
            raise _unknown(upload_id)
        upload.touched = self.clock()
        return upload

    def close(self, upload: Upload) -> None:
        """Forget `upload` and remove its bytes (completed, failed or cancelled)."""
        with self._lock:
            self._uploads.pop(upload.id, None)
        upload.discard()

    def expire(self) -> list[str]:
        """Drop uploads idle past the limit; their ids. An upload in use (locked) stays."""
        limit = self.clock() - self.idle_seconds
        with self._lock:
            stale = [u for u in self._uploads.values() if u.touched < limit]
        dropped = []
        for upload in stale:
            if upload.lock.acquire(blocking=False):
                try:
                    self.close(upload)
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
            self.close(upload)
