"""The collector's half of the per-blob markers that let a collection and a push agree (see
chalicelib/gc/__init__.py): the lease, condemning, claiming and marking deleted. The pusher's
half, which reads a marker and vetoes, is chalicelib/storage/gc_fence.py."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib.storage import keys
from chalicelib.storage.clock import epoch
from chalicelib.storage.gc_fence import CLAIM_SECONDS as CLAIM_SECONDS
from chalicelib.storage.gc_fence import CONDEMNED, DELETING, marker
from chalicelib.storage.gc_fence import DELETED as DELETED
from chalicelib.storage.models import GcMarkerItem
from chalicelib.storage.transactions import condition_failed

MARKER_TTL = 2 * 24 * 3600
LEASE_SECONDS = 20 * 60


def _marker(name: str, run: str, state: str) -> GcMarkerItem:
    return GcMarkerItem(
        keys.gc_marker_pk(name),
        keys.GC_MARKER_SK,
        state=state,
        run=run,
        expires_at=epoch() + MARKER_TTL,
    )


def acquire_lease(run: str) -> bool:
    """Become the one running collection, unless another holds an unexpired lease."""
    moment = epoch()
    lease = GcMarkerItem(keys.GC_LEASE_PK, keys.GC_LEASE_SK, run=run, until=moment + LEASE_SECONDS)
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
        GcMarkerItem(keys.GC_LEASE_PK, keys.GC_LEASE_SK).delete(condition=GcMarkerItem.run == run)
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
            batch.delete(marker(digest))


def claim(digest: str, run: str) -> bool:
    """`condemned` -> `deleting`, unless a push vetoed (deleted the marker) meanwhile."""
    try:
        marker(digest).update(
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
