"""Blob bytes in S3 (content-addressed, shared by all repositories) and the links that make
a blob readable in one repository. A blob not linked in a repository does not exist there."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.storage import audit_items, aws, gc_fence, gc_refs, repositories, s3_errors
from chalicelib.storage.audit_event import Event
from chalicelib.storage.clock import now
from chalicelib.storage.keys import link_digest, link_sk, repo_pk
from chalicelib.storage.models import BlobLinkItem, RepositoryItem
from chalicelib.storage.records import BlobLink
from chalicelib.storage.retry import Attempts, until_committed
from chalicelib.storage.transactions import condition_failed, transaction

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.transactions import TransactWrite


def blob_key(digest: Digest) -> str:
    return f"blobs/{digest.algorithm}/{digest.hex}"


def get_link(repo: str, digest: Digest) -> BlobLink | None:
    item = link_item(repo, digest)
    return None if item is None else BlobLink(digest, int(item.size), item.s3_key)


def link_item(repo: str, digest: Digest) -> BlobLinkItem | None:
    """The link's item itself, for storage code that conditions a write on it."""
    try:
        return BlobLinkItem.get(repo_pk(repo), link_sk(str(digest)), consistent_read=True)
    except BlobLinkItem.DoesNotExist:
        return None


def linked(repo: str, digests: Iterable[Digest]) -> set[Digest]:
    """Which of `digests` are linked in `repo` (one BatchGetItem per 100)."""
    keys = [(repo_pk(repo), link_sk(str(d))) for d in set(digests)]
    if not keys:
        return set()
    found = BlobLinkItem.batch_get(keys, consistent_read=True)
    return {checked_digest(link_digest(item.sk)) for item in found}


def link(repo: str, digest: Digest, size: int, s3_key: str) -> None:
    """Make the blob readable in `repo`, creating the repository if needed (one transaction,
    which also writes the link's entry in garbage collection's index: storage/gc_refs.py).

    A new link adds to the repository's counters; its condition proves it is new. A link
    that exists already (a re-push, a mount of what the repository has) is refreshed in a
    second transaction that counts nothing."""
    item = BlobLinkItem(
        repo_pk(repo), link_sk(str(digest)), size=size, s3_key=s3_key, linked_at=now()
    )
    new = True

    def attempt() -> None:
        counts = {"blobs": 1, "blob_bytes": size} if new else {}
        condition = BlobLinkItem.pk.does_not_exist() if new else BlobLinkItem.pk.exists()
        with transaction() as tx:
            tx.save(item, condition=condition)
            gc_refs.stage_link(tx, repo, digest)
            tx.update(repositories.key(repo), actions=repositories.touch_actions(**counts))

    def other_case(_error: TransactWriteError) -> None:
        nonlocal new
        new = not new  # linked (or unlinked) meanwhile

    until_committed(
        attempt,
        busy=f"blob {digest} is being linked and unlinked at once; retry",
        policy=Attempts(4),
        conflicted=other_case,
    )


def link_stored(
    repo: str,
    digest: Digest,
    size: int,
    s3_key: str,
    *,
    fresh: bool,
    restore: Callable[[], object] | None,
) -> bool:
    """Link a blob whose object is in S3, safely against a concurrent garbage collection.

    `fresh`: this request wrote the object itself, so no collection can have condemned it
    (see chalicelib/gc/__init__.py). Otherwise the object was found there (a re-push, a
    mount) and may be an old unreferenced one that a collection is deleting: after the link
    the collection's marker is checked, and a lost object is written again by `restore`, or,
    without one, the link is withdrawn and False returned."""
    link(repo, digest, size, s3_key)
    if fresh or gc_fence.settled(str(digest)) or stored_size(s3_key) == size:
        return True
    if restore is not None:
        restore()
        return True
    unlink(repo, digest)
    return False


def unlink(repo: str, digest: Digest, event: Event | None = None) -> bool:
    """Remove the link; False if there was none. The bytes stay for garbage collection.
    With `event`, the delete and its audit record are one TransactWriteItems."""
    found = get_link(repo, digest)  # its size, to take off the repository's counters
    if found is None:
        return False
    try:
        with transaction() as tx:
            stage_unlink(tx, repo, digest, found.size, BlobLinkItem.pk.exists())
            if event is not None:
                audit_items.stage(tx, event)
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def stage_unlink(
    tx: TransactWrite,
    repo: str,
    digest: Digest,
    size: int,
    condition: Condition,
    repo_condition: Condition | None = None,
    *,
    fence_until: float | None = None,
) -> None:
    """Delete a link (if `condition` holds) and take it off the repository's counters, in
    the caller's transaction: the counters change only when the delete happens, and the
    link's index entry goes with it, leaving a release candidate (storage/gc_refs.py). With
    `fence_until`, the repository's `unlinking_until` is set to it (storage/unlinking.py)."""
    actions = repositories.count_actions(blobs=-1, blob_bytes=-size)
    if fence_until is not None:
        actions = [*actions, RepositoryItem.unlinking_until.set(fence_until)]
    tx.delete(BlobLinkItem(repo_pk(repo), link_sk(str(digest))), condition=condition)
    gc_refs.stage_unlink(tx, repo, digest)
    tx.update(repositories.key(repo), actions=actions, condition=repo_condition)


def presign_get(s3_key: str) -> str:
    config = settings()
    url: str = aws.presigner().generate_presigned_url(
        "get_object",
        Params={"Bucket": config.bucket, "Key": s3_key},
        ExpiresIn=config.presign_ttl,
    )
    return url


def stored_size(key: str) -> int | None:
    """The size of the object at `key`, or None if there is none."""
    try:
        head = aws.s3().head_object(Bucket=settings().bucket, Key=key)
    except ClientError as error:
        if s3_errors.is_missing(error):
            return None
        raise
    return int(head["ContentLength"])


def write_once(key: str, size: int, write: Callable[[], object]) -> bool:
    """Write a content-addressed object unless it is there already; True if this call wrote it.

    Only verified bytes are ever written under a blob's key, so an object found there is the
    same content: when a concurrent push of the same blob wins the race (S3 refuses the
    conditional write with 412 or 409), its object is as good as ours. If the object went
    between the refusal and the look (garbage collection deleted it), write again."""
    for attempt in range(2):
        try:
            write()
        except Exception as error:
            found = stored_size(key)
            if found == size:
                return False
            if found is None and attempt == 0 and _refused_as_present(error):
                continue
            raise
        return True
    raise AssertionError("unreachable")


def _refused_as_present(error: Exception) -> bool:
    """S3 refused an If-None-Match write because an object was there (412, or 409 when a
    concurrent conditional write was in flight)."""
    code, status = s3_errors.error_code(error), s3_errors.http_status(error)
    return code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412)


def put_bytes(digest: Digest, data: bytes) -> tuple[str, bool]:
    """Store a whole blob under its content address; S3 checks the SHA-256 it is given.
    Returns the key and whether this call wrote the object (False: it was there already)."""
    key = blob_key(digest)
    fresh = write_once(key, len(data), lambda: write_bytes(key, digest, data))
    return key, fresh


def write_bytes(key: str, digest: Digest, data: bytes) -> None:
    """One conditional PUT of a whole blob at `key` (If-None-Match: refused if an object is
    there); for a sha256 digest, S3 checks the bytes against it."""
    extra = {}
    if digest.algorithm == "sha256":
        extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(digest.hex)).decode()
    aws.s3().put_object(Bucket=settings().bucket, Key=key, Body=data, IfNoneMatch="*", **extra)


@dataclass(frozen=True, slots=True)
class Committed:
    key: str
    fresh: bool  # this call wrote the object (False: it was found there already)


def commit(
    repo: str,
    digest: Digest,
    size: int,
    write: Callable[[str], object],
    *,
    look_first: bool = False,
) -> Committed:
    """The one way a push stores blob bytes and makes them readable in `repo`.

    The caller has verified that the bytes `write(key)` puts at `key` have `digest` and
    `size`; `write` must be a conditional write (If-None-Match) that can run again. The
    object is written once (write_once), then linked with the garbage collector's fence
    (link_stored): if this call did not write the object itself, a collection may be
    deleting it, and then `write` runs again to restore it. Staging the bytes came from must
    outlive this call, since `write` may be needed until the link is settled.

    `look_first`: read the object's size before writing (one HEAD) and skip the write if it
    is there; worth it when the write is a costly server-side copy or assembly."""
    key = blob_key(digest)

    def store() -> bool:
        return write_once(key, size, lambda: write(key))

    # Content-addressed: an object already at the blob's key was verified when it was
    # written (by a retry of this request, or another push of the same blob).
    fresh = False if look_first and stored_size(key) == size else store()
    link_stored(repo, digest, size, key, fresh=fresh, restore=store)
    return Committed(key, fresh)


def commit_bytes(repo: str, digest: Digest, data: bytes) -> Committed:
    """commit() of a whole blob held in memory (a monolithic push)."""
    return commit(repo, digest, len(data), lambda key: write_bytes(key, digest, data))
