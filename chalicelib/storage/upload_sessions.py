"""What both kinds of upload session share: their ids, their staging prefix and finding a
live one. A session (`U#<id>`: `U` through the registry, `S3` direct to S3) is bound to the
repository it was opened in, and one of another repository, or past its expiry, is unknown."""

from __future__ import annotations

import re
import uuid
from typing import TypeVar

from chalicelib.storage import keys
from chalicelib.storage.clock import epoch
from chalicelib.storage.errors import UploadUnknown
from chalicelib.storage.models import DirectUploadItem, UploadItem

_ID = re.compile(r"^[0-9a-f]{32}$")

Session = TypeVar("Session", UploadItem, DirectUploadItem)


def new_upload_id() -> str:
    return uuid.uuid4().hex


def is_upload_id(upload_id: str) -> bool:
    """Checked before any read: a malformed id never reaches the table."""
    return _ID.match(upload_id) is not None


def staging_prefix(upload_id: str) -> str:
    """Where a session's bytes wait in S3 until they are verified (the bucket's lifecycle
    rule and garbage collection clean up what a session left behind there)."""
    return f"uploads/{upload_id}/"


def upload_id_of(item: UploadItem | DirectUploadItem) -> str:
    return keys.upload_id_of(item.pk)


def unknown(upload_id: str, kind: str = "upload") -> UploadUnknown:
    return UploadUnknown(f"{kind} {upload_id[:64]!r} is not known")


def live_session(model: type[Session], sort_key: str, repo: str, upload_id: str) -> Session:
    """The live session `upload_id` of `repo`, read consistently; UploadUnknown for a malformed
    id, a missing or expired session, or one of another repository."""
    kind = "direct upload" if model is DirectUploadItem else "upload"
    if not is_upload_id(upload_id):
        raise unknown(upload_id, kind)
    try:
        item = model.get(keys.upload_pk(upload_id), sort_key, consistent_read=True)
    except model.DoesNotExist:
        raise unknown(upload_id, kind) from None
    if item.repository != repo or item.expires_at < epoch():
        raise unknown(upload_id, kind)
    return item
