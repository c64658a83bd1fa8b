"""The metadata table's items, one pynamodb model each, all in one table.

One table keeps related writes in one transaction and one CloudFormation resource. Items of
a repository share the partition `R#<name>`; the sort key's prefix says what an item is
(every key is built and parsed by chalicelib/storage/keys.py):

    B#<digest>                 blob link: the blob is readable in this repository
    F#<subject>#<digest>       referrer: a manifest whose subject is <subject>
    H#<tag>#<time>#<nonce>     tag history: one move of a tag
    M#<digest>                 manifest (bytes inline, or the S3 key of large ones)
    S#lifecycle                lifecycle policy (chalicelib/lifecycle/), versioned
    S#settings                 repository settings (immutable tags, rollback window), versioned
    T#<tag>                    tag (digest, plus an inline copy of small manifests)

`T#` sorts last, so a range query above `T#<last>` reads tags only. Repositories are listed
under the partition `REPOS` (sorted, for `_catalog`); upload sessions are `U#<id>` (sort key
`U` through the registry, `S3` direct to S3: chalicelib/storage/direct.py); garbage
collection's per-blob markers are `GC#<digest>` and its lease is `GC`/`lease` (chalicelib/gc/).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection.table import TableConnection
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.storage import table_connection
from chalicelib.storage.keys import REPOS_PARTITION as REPOS_PARTITION
from chalicelib.storage.keys import repo_pk as repo_pk

# DynamoDB refuses an item over 400 KB (attribute names and values together). A manifest's
# body is kept in its own item up to INLINE_LIMIT, leaving room for the other attributes;
# a copy kept in another item (a tag's copy of a small manifest, a referrer's annotations)
# up to COPY_LIMIT, so the items that carry copies stay cheap to list and to transact.
ITEM_LIMIT = 400 * 1024
INLINE_LIMIT = ITEM_LIMIT - 100 * 1024
COPY_LIMIT = 64 * 1024


def _meta() -> type:
    config = settings()

    class Meta:
        table_name = config.table
        region = config.region
        host = config.endpoint_url
        # The client every model shares is made with these (storage/table_connection.py).
        connect_timeout_seconds = table_connection.CONNECT_TIMEOUT_S
        read_timeout_seconds = table_connection.READ_TIMEOUT_S
        max_retry_attempts = table_connection.MAX_RETRY_ATTEMPTS

    return Meta


class _Item(Model):
    Meta: Any = _meta()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """pynamodb's per-class connection, on the one shared client (table_connection.py)."""
        table = super()._get_connection()
        if not isinstance(table.connection, table_connection.SharedConnection):
            table_connection.attach(table)
        return table


class RepositoryItem(_Item):
    """pk=REPOS, sk=<name>, with its storage counters (chalicelib/storage/repositories.py),
    changed in the transactions that link, unlink, push and delete, so `repo ls` reads them."""

    created_at = UTCDateTimeAttribute(null=True)
    last_push_at = UTCDateTimeAttribute(null=True)
    last_push_by = UnicodeAttribute(null=True)  # who pushed the last manifest (None: unknown)
    blob_count = NumberAttribute(null=True)  # blob links
    blob_bytes = NumberAttribute(null=True)  # their sizes: each blob once per repository
    manifest_count = NumberAttribute(null=True)
    manifest_bytes = NumberAttribute(null=True)
    tag_count = NumberAttribute(null=True)
    # The unlink lease (chalicelib/storage/unlinking.py): epoch seconds until which a
    # lifecycle run may unlink blobs here (after it: when it ended), and whose run it is.
    unlinking_until = NumberAttribute(null=True)
    unlinking_run = UnicodeAttribute(null=True)


class BlobLinkItem(_Item):
    """pk=R#<name>, sk=B#<digest>: the blob may be read through this repository."""

    size = NumberAttribute()
    s3_key = UnicodeAttribute()
    linked_at = UTCDateTimeAttribute()


class ManifestItem(_Item):
    """pk=R#<name>, sk=M#<digest>."""

    media_type = UnicodeAttribute()
    size = NumberAttribute()
    body = BinaryAttribute(legacy_encoding=False, null=True)
    s3_key = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    artifact_type = UnicodeAttribute(null=True)
    blobs = ListAttribute(of=UnicodeAttribute, null=True)
    children = ListAttribute(of=UnicodeAttribute, null=True)
    pushed_at = UTCDateTimeAttribute()
    # Set by a GET at most once a day (chalicelib/storage/pulls.py), for lifecycle rules.
    last_pulled = UTCDateTimeAttribute(null=True)
    # Set when something starts to depend on this manifest without rewriting it (an index
    # pushed over it, a rollback to it): lifecycle deletes only if it did not change.
    claimed_at = UTCDateTimeAttribute(null=True)
    # Who verifiably signed this manifest (or an index over it), as `<signature digest> <signer>`
    # entries (chalicelib/storage/signatures.py); copied onto each tag pointing here, so that a
    # pull under a signature policy reads it in the one read it makes anyway.
    signers = UnicodeSetAttribute(null=True)
    # For a signature manifest: its verdict as JSON (verified, format, signer, reason, at).
    verdict = UnicodeAttribute(null=True)
    # The image's last scan in brief (chalicelib/scanning/scan_verdict.py), copied onto each tag
    # pointing here like `signers`, so a scan pull policy judges a pull from the item it reads.
    scan_verdict = UnicodeAttribute(null=True)


class TagItem(_Item):
    """pk=R#<name>, sk=T#<tag>."""

    digest = UnicodeAttribute()
    media_type = UnicodeAttribute()
    size = NumberAttribute()
    body = BinaryAttribute(legacy_encoding=False, null=True)
    updated_at = UTCDateTimeAttribute()
    # When a pull by this tag last recorded itself (at most daily; reset by every move).
    pulled_at = UTCDateTimeAttribute(null=True)
    signers = UnicodeSetAttribute(null=True)  # the manifest's, copied (ManifestItem.signers)
    scan_verdict = UnicodeAttribute(null=True)  # the manifest's, copied
    # Who moved it here (a push or a rollback), as its history entry's actor: the tags page
    # shows "pushed by" from the one query it makes. Tags moved before it existed have none.
    moved_by = UnicodeAttribute(null=True)


class TagHistoryItem(_Item):
    """pk=R#<name>, sk=H#<tag>#<time>#<nonce>: one move of a tag (to_digest None: deleted).

    `action` is push, delete or rollback; entries written before it existed have none."""

    tag = UnicodeAttribute()
    from_digest = UnicodeAttribute(null=True)
    to_digest = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute(null=True)


class TrustPolicyItem(_Item):
    """pk=SIGNING, sk=policy: the signature trust policy (chalicelib/signing/trust_policy.py)
    as JSON; every change bumps `version`."""

    document = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)
    # Every repository's scan pull policy, JSON `{repository: policy}` (storage/scan_policy.py):
    # beside the trust policy, so the one cached read of this item serves both pull rules.
    scan_policies = UnicodeAttribute(null=True)
    scan_policies_version = NumberAttribute(null=True)


class SettingsItem(_Item):
    """pk=R#<name>, sk=S#settings: a repository's rules. Every change bumps `version`, and
    each tag move that a rule could refuse checks the version it read in its transaction."""

    version = NumberAttribute()
    immutable = BooleanAttribute(null=True)
    immutable_exclude = ListAttribute(of=UnicodeAttribute, null=True)
    rollback_window = NumberAttribute(null=True)  # None: the default (rules/immutability.py)
    updated_at = UTCDateTimeAttribute()


class LifecycleItem(_Item):
    """pk=R#<name>, sk=S#lifecycle: a repository's lifecycle policy, the JSON document as
    validated by chalicelib/lifecycle/document.py; `version` goes up with every change."""

    version = NumberAttribute()
    policy = JSONAttribute()
    updated_at = UTCDateTimeAttribute()


class ReferrerItem(_Item):
    """pk=R#<name>, sk=F#<subject>#<digest>: a descriptor for the referrers API.

    Annotations too large for an item stay in the manifest (`annotations_in_manifest`)."""

    media_type = UnicodeAttribute()
    size = NumberAttribute()
    artifact_type = UnicodeAttribute(null=True)
    annotations = JSONAttribute(null=True)
    annotations_in_manifest = BooleanAttribute(null=True)


class UploadItem(_Item):
    """pk=U#<id>, sk=U: a blob upload session.

    `offset` bytes have been received and hashed (`hash_state`); they wait in S3 staging
    objects, `parts` of at least 5 MiB and then `pending` smaller chunks. A writer holds
    `lock_id` until `lock_until` while it moves the session forward.
    """

    repository = UnicodeAttribute()
    algorithm = UnicodeAttribute()
    offset = NumberAttribute()
    hash_state = BinaryAttribute(legacy_encoding=False, null=True)
    parts = JSONAttribute(null=True)  # [{"key": str, "size": int}]
    pending = JSONAttribute(null=True)  # [{"key": str, "size": int}]
    lock_id = UnicodeAttribute(null=True)
    lock_until = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # DynamoDB TTL


class DirectUploadItem(_Item):
    """pk=U#<id>, sk=S3: a direct-to-S3 upload session (chalicelib/storage/direct.py).

    The client PUTs `size` bytes of `digest` to the staging object `key` (`uploads/<id>/blob`)
    through presigned URLs, in one PUT or in the S3 multipart upload `multipart_id` of parts
    of `part_size`. Completion verifies, possibly over several requests: `verified` bytes of
    the object whose ETag is `etag` have been hashed into `hash_state`. Only `repository`'s
    routes can see or complete it. A `streamed` session (berth proxy relaying a stock client,
    which names the digest only at the end) is multipart from the start with `digest` empty
    and `size` 0 until its completion declares them."""

    repository = UnicodeAttribute()
    digest = UnicodeAttribute()
    size = NumberAttribute()
    key = UnicodeAttribute()
    part_size = NumberAttribute()
    multipart_id = UnicodeAttribute(null=True)
    assembled = BooleanAttribute(null=True)
    etag = UnicodeAttribute(null=True)
    verified = NumberAttribute(null=True)
    hash_state = BinaryAttribute(legacy_encoding=False, null=True)
    streamed = BooleanAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # DynamoDB TTL


class GcMarkerItem(_Item):
    """pk=GC#<digest>, sk=GC: garbage collection's claim on one blob (chalicelib/gc/guard.py,
    chalicelib/storage/gc_fence.py);
    pk=GC, sk=lease: the one collection running (`run`, `until`)."""

    state = UnicodeAttribute(null=True)  # condemned, deleting, deleted
    run = UnicodeAttribute()
    until = NumberAttribute(null=True)
    expires_at = NumberAttribute()  # DynamoDB TTL


class ReferenceItem(_Item):
    """pk=REF#<digest>, sk=L#<repo>: garbage collection's reference index, written in the
    link's own transaction (chalicelib/storage/gc_refs.py)."""

    at = NumberAttribute()  # epoch seconds of the write


class GcCandidateItem(_Item):
    """pk=GCQ#<shard>, sk=<digest>: a digest some reference was released from, written in
    the transaction that releases it; the collector re-checks and drops it."""

    released_at = NumberAttribute()


class LifecycleDueItem(_Item):
    """pk=LCDUE#<shard>, sk=<repository>: when lifecycle must plan the repository again
    (`due`, epoch seconds; 0: it changed; absent: only a change can make it due). `bumps`
    counts the changes, each staged in the changing transaction, so a plan's reset is
    conditioned on none having come since it read (chalicelib/lifecycle/index.py)."""

    due = NumberAttribute(null=True)
    bumps = NumberAttribute(null=True)


class LifecycleIndexItem(_Item):
    """pk=LCDUE, sk=index: every repository with a policy has its due entry (`version`),
    written by the first complete run that planned them all."""

    version = NumberAttribute()


class GcIndexItem(_Item):
    """pk=GC, sk=index: garbage collection's reference index is complete (`version`) once a
    backfill (chalicelib/gc/reindex.py) has indexed every item written before it existed."""

    version = NumberAttribute()


class GcReindexItem(_Item):
    """pk=GC, sk=reindex: where an unfinished backfill of the reference index stopped
    (chalicelib/gc/reindex.py), so the next call goes on from there: the scan's
    LastEvaluatedKey as JSON (absent: from the start), and the run that holds it."""

    cursor = UnicodeAttribute(null=True)
    run = UnicodeAttribute()
