"""A spooled blob goes to the registry through `berth push`'s own uploader: the `s3-uploads`
extension (presigned PUTs straight to S3, parts in parallel with their checksums, retries,
fresh URLs after a refusal), or the standard upload API in Lambda-sized chunks when the
registry lacks the extension or the blob is small. One client core: nothing here speaks the
upload protocol itself.

The requests to the registry carry the client's own `Authorization` (the token the registry's
token service gave it for push on this repository, or Basic): the proxy has no credentials."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from berth.push.content import Blob, FileRange
from berth.push.errors import ExitCode, PushError
from berth.push.http import Session
from berth.push.progress import Progress
from berth.push.registry import Registry
from berth.push.s3 import PART_JOBS, S3Uploader
from berth.push.state import PushState
from berth.push.uploader import Cancelled, StandardUploader
from chalicelib.oci.errors import OCIError


@dataclass(frozen=True, slots=True)
class Destination:
    """Where blobs go: the registry's URL, and how uploads are made."""

    base_url: str
    state_directory: Path
    part_jobs: int = PART_JOBS


def send(
    destination: Destination,
    repository: str,
    authorization: str | None,
    digest: str,
    spool: Path,
    size: int,
) -> None:
    """Upload `size` bytes of `spool` as blob `digest` of `repository`; an OCIError for the
    client if the registry refuses or cannot be reached."""
    session = Session(destination.base_url, authorization=authorization)
    registry = Registry(session, repository)
    state = PushState(destination.state_directory, destination.base_url, repository)
    progress = Progress(io.StringIO(), size, quiet=True)
    fallback = StandardUploader(registry, state, progress)
    uploader = S3Uploader(registry, state, progress, fallback, part_jobs=destination.part_jobs)
    blob = Blob(digest, size, "application/octet-stream", FileRange(spool, 0, size))
    try:
        uploader.upload(blob, None)
    except PushError as error:
        raise _client_error(error) from None
    except Cancelled:
        raise OCIError("UNAVAILABLE", "the upload was interrupted; retry it") from None
    finally:
        state.forget_upload(digest)


def _client_error(error: PushError) -> OCIError:
    """What the client is told when the registry refused the blob or could not be reached."""
    message = f"berth proxy: {error}"
    if error.code is ExitCode.AUTH:
        return OCIError("DENIED", message)
    if error.code is ExitCode.SOURCE_INVALID:
        return OCIError("DIGEST_INVALID", message)
    if error.code is ExitCode.NETWORK:
        return OCIError("UNAVAILABLE", message)
    return OCIError("BLOB_UPLOAD_INVALID", message, status=502)
