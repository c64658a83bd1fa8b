"""A blob's upload to a destination, kept in the table as it progresses (the session's
Location and the bytes the destination acknowledged), so that the next run of the same
copy goes on where this one stopped instead of sending the layer again. Removed once the
blob is closed; an abandoned one expires (DynamoDB TTL) with the destination's session."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib.storage.keys import replica_upload_pk
from chalicelib.storage.models import _Item

# Registries drop idle sessions after hours to days; a week outlives any of them.
KEEP_SECONDS = 7 * 24 * 3600


class ReplicaUploadItem(_Item):
    """pk=REPUP#<rule>#<n>#<target>, sk=<blob digest>."""

    location = UnicodeAttribute()
    offset = NumberAttribute()  # bytes acknowledged
    size = NumberAttribute()
    expires_at = NumberAttribute()  # DynamoDB TTL


@dataclass(frozen=True, slots=True)
class Checkpoint:
    location: str
    offset: int


@dataclass(frozen=True, slots=True)
class Checkpoints:
    """The saved uploads of one destination's repository (one rule's destination)."""

    rule: str
    index: int
    target: str

    def _pk(self) -> str:
        return replica_upload_pk(self.rule, self.index, self.target)

    def load(self, digest: str) -> Checkpoint | None:
        try:
            item = ReplicaUploadItem.get(self._pk(), digest, consistent_read=True)
        except DoesNotExist:
            return None
        return Checkpoint(str(item.location), int(item.offset))

    def save(self, digest: str, size: int, checkpoint: Checkpoint) -> None:
        ReplicaUploadItem(
            self._pk(),
            digest,
            location=checkpoint.location,
            offset=checkpoint.offset,
            size=size,
            expires_at=int(time.time()) + KEEP_SECONDS,
        ).save()

    def clear(self, digest: str) -> None:
        ReplicaUploadItem(self._pk(), digest).delete()
