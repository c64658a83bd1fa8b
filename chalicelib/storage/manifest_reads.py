"""Reading a stored manifest by digest or tag: the whole of what a pull needs from storage.

Kept apart from `chalicelib.storage.manifests` (push and delete) so that the first pull of a
cold function imports the item models and nothing of the write side (blobs, audit, GC refs,
immutability rules, unlinking): a cold start is mostly imports (bench/coldstart.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.storage.keys import manifest_sk, repo_pk, tag_sk
from chalicelib.storage.manifest_marks import Marks, of_item
from chalicelib.storage.models import ManifestItem, TagItem


@dataclass(frozen=True, slots=True)
class StoredManifest:
    digest: Digest
    media_type: str
    body: bytes
    pulled_at: datetime | None = None  # when the item read last recorded a pull
    via_tag: str | None = None  # the tag item that was read (None: the manifest item)
    # Who verifiably signed it (`<signature digest> <signer>`, chalicelib/storage/signatures.py)
    signers: frozenset[str] = frozenset()
    scan_verdict: str | None = None  # its last scan in brief (scanning/scan_verdict.py)

    @property
    def marks(self) -> Marks:
        return Marks(self.signers, self.scan_verdict)


def tag_item(repo: str, tag: str) -> TagItem | None:
    """The tag's item, read consistently; None if the tag does not exist."""
    try:
        return TagItem.get(repo_pk(repo), tag_sk(tag), consistent_read=True)
    except TagItem.DoesNotExist:
        return None


def body_of(item: ManifestItem) -> bytes:
    """The manifest's bytes: inline in the item, or in S3 when too large for it."""
    if item.body is not None:
        return bytes(item.body)
    from chalicelib.config import settings
    from chalicelib.storage import aws

    result = aws.s3().get_object(Bucket=settings().bucket, Key=item.s3_key)
    data: bytes = result["Body"].read()
    return data


def by_digest(repo: str, digest: Digest) -> StoredManifest | None:
    try:
        item = ManifestItem.get(repo_pk(repo), manifest_sk(str(digest)), consistent_read=True)
    except ManifestItem.DoesNotExist:
        return None
    marks = of_item(item)
    return StoredManifest(
        digest,
        item.media_type,
        body_of(item),
        item.last_pulled,
        signers=marks.signers,
        scan_verdict=marks.scan_verdict,
    )


def by_tag(repo: str, tag: str) -> StoredManifest | None:
    item = tag_item(repo, tag)
    if item is None:
        return None
    if item.body is not None:
        return StoredManifest(
            checked_digest(item.digest),
            item.media_type,
            bytes(item.body),
            item.pulled_at,
            via_tag=tag,
            signers=frozenset(str(s) for s in item.signers or ()),
            scan_verdict=item.scan_verdict or None,
        )
    return by_digest(repo, checked_digest(item.digest))


def annotations_of(repo: str, digest: Digest) -> dict[str, str]:
    """The annotations of a stored manifest (for referrers whose annotations did not fit)."""
    stored = by_digest(repo, digest)
    if stored is None:
        return {}
    value = json.loads(stored.body).get("annotations")
    return value if isinstance(value, dict) else {}
