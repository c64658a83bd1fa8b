"""The pusher's half of garbage collection's protocol: after linking an object it did not
write, a push reads the object's marker and vetoes a pending delete, or learns the object
may be gone (the protocol and why it holds: chalicelib/gc/__init__.py).

It lives with the storage code that links blobs and stores manifests, which call it; the
collector's half (chalicelib/gc/guard.py) writes the same markers and depends on this
module, never the reverse."""

from __future__ import annotations

import time
from collections.abc import Callable

from pynamodb.exceptions import DeleteError

from chalicelib.storage import keys
from chalicelib.storage.models import GcMarkerItem
from chalicelib.storage.transactions import condition_failed

# A marker's states, in the order a collection writes them.
CONDEMNED = "condemned"
DELETING = "deleting"
DELETED = "deleted"
# A collector deletes a claimed object within CLAIM_SECONDS of its claim or gives the claim
# back; a pusher that finds `deleting` waits longer than that before it looks at the object.
CLAIM_SECONDS = 10
WAIT_SECONDS = 30


def marker(name: str) -> GcMarkerItem:
    """The marker item's key: `name` is a blob's digest or a large manifest's object key."""
    return GcMarkerItem(keys.gc_marker_pk(name), keys.GC_MARKER_SK)


def read(name: str) -> GcMarkerItem | None:
    try:
        return GcMarkerItem.get(keys.gc_marker_pk(name), keys.GC_MARKER_SK, consistent_read=True)
    except GcMarkerItem.DoesNotExist:
        return None


def _veto(name: str) -> bool:
    try:
        marker(name).delete(condition=GcMarkerItem.state == CONDEMNED)
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def settled(name: str, sleep: Callable[[float], None] = time.sleep) -> bool:
    """After a link is written: True if no collection can delete the object (no marker, or a
    `condemned` one this call vetoed); False if it may be gone (`deleting`/`deleted`)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = read(name)
        if found is None:
            return True
        if found.state == CONDEMNED:
            if _veto(name):
                return True
            continue  # claimed meanwhile: read again
        if found.state == DELETING and time.monotonic() < deadline:
            sleep(0.2)
            continue
        return False
