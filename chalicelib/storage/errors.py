"""What storage refuses, in the domain's words: not found, invalid, conflict, busy.

Storage knows no HTTP: it raises these, and the API turns each into its OCI error and status
in one place (chalicelib/api/storage_errors.py). Each class names one situation a caller may
want to tell apart; the four bases are what a caller that does not care catches."""

from __future__ import annotations

from typing import Any


class StorageError(Exception):
    """A refusal with a message for the client and, optionally, structured `detail`."""

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(StorageError):
    """What the request names is not there (or not in this repository)."""


class Invalid(StorageError):
    """What the request asks for cannot be done with what it sent."""


class Conflict(StorageError):
    """The request collides with the state another request left or holds."""


class Busy(StorageError):
    """Contention outlasted the retries: the same request may succeed in a moment."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UploadUnknown(NotFound):
    """No live upload session by that id in this repository."""


class ManifestNotFound(NotFound):
    """No such manifest in the repository."""


class ReferencesMissing(NotFound):
    """A manifest names content the repository does not hold: blobs, or (`manifests`) the
    manifests an index lists."""

    def __init__(self, message: str, *, detail: Any = None, manifests: bool = False) -> None:
        super().__init__(message, detail=detail)
        self.manifests = manifests


class UploadInvalid(Invalid):
    """An upload session cannot take this step (wrong kind, parts missing, bytes changed)."""


class DigestInvalid(Invalid):
    """The bytes are not the content the digest names, or the digest is not one this takes."""


class SizeInvalid(Invalid):
    """The bytes are not the length that was declared, or no length fits."""


class ManifestInvalid(Invalid):
    """A manifest that cannot be stored as sent."""


class UploadOffsetConflict(Conflict):
    """A chunk does not start where the session is, or another request holds the session;
    the session's state is unchanged at `offset` bytes."""

    def __init__(self, message: str, *, repository: str, upload_id: str, offset: int) -> None:
        super().__init__(message)
        self.repository = repository
        self.upload_id = upload_id
        self.offset = offset


class Protected(Conflict):
    """A rule of the repository (an immutable tag) keeps this content."""


class TagImmutable(Protected):
    """A rule of the repository makes this existing tag immutable: it may not move or go."""
