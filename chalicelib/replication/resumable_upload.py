"""One blob to a registry as a chunked upload that survives the end of a Lambda run: the
session's Location and acknowledged offset are saved after every chunk
(upload_checkpoints.py); a run that reaches its deadline stops between chunks, and the next
run of the same copy asks the destination where the session stands (GET of the Location,
its `Range`) and goes on from there, reading S3 from that offset. The destination's answer,
not the table's, says where to go on, so a chunk acknowledged just before a run ended is
never sent twice; a destination that lost the session gets the blob from the start in a
new one. Memory: one chunk."""

from __future__ import annotations

from collections.abc import Callable, Generator

from chalicelib.remote import uploads
from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import RemoteError
from chalicelib.replication.deadline import Deadline, OutOfTime
from chalicelib.replication.upload_checkpoints import Checkpoint, Checkpoints

Reader = Callable[
    [int], Generator[bytes, None, None]
]  # the blob's bytes from an offset, a chunk at a time


def _resume_point(
    registry: RemoteRegistry, saved: Checkpoint | None, size: int
) -> Checkpoint | None:
    if saved is None:
        return None
    at = uploads.acknowledged(registry, saved.location)
    if at is None or at > size:
        return None  # the destination lost (or garbled) the session: start again
    return Checkpoint(saved.location, at)


def send(
    registry: RemoteRegistry,
    repository: str,
    digest: str,
    size: int,
    read: Reader,
    checkpoints: Checkpoints,
    deadline: Deadline,
) -> int:
    """Upload `digest` (continuing a saved session if the destination still has it); the
    bytes sent by this run. Raises OutOfTime, progress saved, when the deadline passes."""
    registry.ensure_authorized(repository)
    point = _resume_point(registry, checkpoints.load(digest), size)
    if point is None:
        point = Checkpoint(uploads.start(registry, repository), 0)
        checkpoints.save(digest, size, point)
    location, offset, sent = point.location, point.offset, 0
    if offset < size:
        chunks = read(offset)
        try:
            for chunk in chunks:
                if not chunk:
                    continue
                if deadline.passed():
                    raise OutOfTime(f"{digest[:80]}: {offset} of {size} bytes at the destination")
                location = uploads.patch_chunk(registry, location, offset, chunk)
                offset += len(chunk)
                sent += len(chunk)
                checkpoints.save(digest, size, Checkpoint(location, offset))
        finally:
            chunks.close()  # the S3 body, if the run stops halfway
    try:
        uploads.close(registry, location, digest)
    except RemoteError:
        checkpoints.clear(digest)  # a session that cannot close is not worth resuming
        raise
    checkpoints.clear(digest)
    return sent
