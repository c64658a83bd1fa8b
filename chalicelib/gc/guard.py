"""The per-blob markers that let a collection and a push agree (see chalicelib/gc/__init__.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib.oci.digest import Digest
from chalicelib.storage.clock import epoch
from chalicelib.storage.models import GcMarkerItem
from chalicelib.storage.transactions import condition_failed

CONDEMNED = "condemned"
DELETING = "deleting"
DELETED = "deleted"
MARKER_TTL = 2 * 24 * 3600
# A collector deletes a claimed object within CLAIM_SECONDS of its claim or gives the claim
# back; a pusher that finds `deleting` waits longer than that before it looks at the object.
CLAIM_SECONDS = 10
WAIT_SECONDS = 30
LEASE_SECONDS = 20 * 60


def marker_pk(digest: str) -> str:
    return f"GC#{digest}"


def _marker(digest: str, run: str, state: str) -> GcMarkerItem:
    return GcMarkerItem(
        marker_pk(digest), "GC", state=state, run=run, expires_at=epoch() + MARKER_TTL
    )


# The collector's side.


def acquire_lease(run: str) -> bool:
    """Become the one running collection, unless another holds an unexpired lease."""
    moment = epoch()
    lease = GcMarkerItem("GC", "lease", run=run, until=moment + LEASE_SECONDS)
    lease.expires_at = moment + MARKER_TTL
    try:
        lease.save(condition=GcMarkerItem.pk.does_not_exist() | (GcMarkerItem.until < moment))
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def release_lease(run: str) -> None:
    try:
        GcMarkerItem("GC", "lease").delete(condition=GcMarkerItem.run == run)
    except DeleteError:
        pass  # taken over after it expired, or already gone


def condemn(digests: Iterable[str], run: str) -> None:
    """Mark each candidate `condemned` (overwriting older markers), in batches."""
    with GcMarkerItem.batch_write() as batch:
        for digest in digests:
            batch.save(_marker(digest, run, CONDEMNED))


def release(digests: Iterable[str]) -> None:
    """Forget the markers of candidates found referenced after all."""
    with GcMarkerItem.batch_write() as batch:
        for digest in digests:
            batch.delete(GcMarkerItem(marker_pk(digest), "GC"))


def claim(digest: str, run: str) -> bool:
    """`condemned` -> `deleting`, unless a push vetoed (deleted the marker) meanwhile."""
    try:
        GcMarkerItem(marker_pk(digest), "GC").update(
            actions=[GcMarkerItem.state.set(DELETING), GcMarkerItem.until.set(epoch())],
            condition=(GcMarkerItem.state == CONDEMNED) & (GcMarkerItem.run == run),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def mark_deleted(digests: Iterable[str], run: str) -> None:
    with GcMarkerItem.batch_write() as batch:
        for digest in digests:
            batch.save(_marker(digest, run, DELETED))


# The pusher's side.


def _read(digest: str) -> GcMarkerItem | None:
    try:
        return GcMarkerItem.get(marker_pk(digest), "GC", consistent_read=True)
    except GcMarkerItem.DoesNotExist:
        return None


def _veto(digest: str) -> bool:
    try:
        GcMarkerItem(marker_pk(digest), "GC").delete(condition=GcMarkerItem.state == CONDEMNED)
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def settled(digest: str, sleep: Callable[[float], None] = time.sleep) -> bool:
    """After a link is written: True if no collection can delete the object (no marker, or a
    `condemned` one this call vetoed); False if it may be gone (`deleting`/`deleted`)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        marker = _read(digest)
        if marker is None:
            return True
        if marker.state == CONDEMNED:
            if _veto(digest):
                return True
            continue  # claimed meanwhile: read again
        if marker.state == DELETING and time.monotonic() < deadline:
            sleep(0.2)
            continue
        return False


def confirm(
    repo: str, digest: Digest, size: int, key: str, restore: Callable[[], object] | None
) -> bool:
    """Make sure a just-linked blob's object survives any collection (see blobs.link_stored)."""
    from chalicelib.storage import blobs

    if settled(str(digest)) or blobs.stored_size(key) == size:
        return True
    if restore is not None:
        restore()
        return True
    blobs.unlink(repo, digest)
    return False
