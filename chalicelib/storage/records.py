"""What storage hands its callers: plain, typed values read out of the table's items, so no
caller holds a pynamodb item, casts its numbers or reaches past the fields it was given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.oci.digest import Digest


@dataclass(frozen=True, slots=True)
class BlobLink:
    """A blob readable through a repository: how big it is and where its bytes are."""

    digest: Digest
    size: int
    s3_key: str


@dataclass(frozen=True, slots=True)
class UploadState:
    """An upload session through the registry, as a client may see it: its id and how many
    bytes it holds."""

    upload_id: str
    offset: int


@dataclass(frozen=True, slots=True)
class DirectSession:
    """A direct-to-S3 upload session, as its client is told of it (see storage/direct.py).
    A streamed session's digest, size and part count are None until its completion."""

    upload_id: str
    digest: Digest | None
    size: int | None
    part_size: int
    part_count: int | None
    multipart: bool
    streamed: bool
    expires_at: int
    verified: int  # bytes of the upload hashed so far by a completion under way
    single_put: dict[str, Any] | None  # the presigned PUT, for a session of one PUT


@dataclass(frozen=True, slots=True)
class TagHead:
    """A tag as a listing shows it, from its own item: where it points, the manifest's copy
    when it fits (None: read it by digest), when it moved and was last pulled, its signers,
    its scan verdict."""

    name: str
    digest: Digest
    body: bytes | None
    updated_at: datetime
    pulled_at: datetime | None
    signers: frozenset[str]
    scan_verdict: str | None = None  # the image's last scan in brief (scanning/scan_verdict.py)
    moved_by: str | None = None  # who pushed it here or rolled it back (None: not recorded)


@dataclass(frozen=True, slots=True)
class TagMove:
    """One move of a tag (to_digest None: deleted). `action` is push, delete or rollback;
    moves recorded before it existed have None (rules/history.py's `action_of` tells)."""

    at: datetime
    action: str | None
    from_digest: str | None
    to_digest: str | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class ManifestSummary:
    """A stored manifest by its kind alone (no body): enough to tell an image from an
    artifact or a referrer."""

    digest: Digest
    media_type: str
    artifact_type: str | None
    subject: str | None
