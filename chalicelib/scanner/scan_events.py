"""A `Berth Image Scan` event when a scan's findings differ from the image's last ones in this
repository (or it had none): an audit record by `system:scanner`, which the table's stream
turns into the event as it does every other change (chalicelib/events/change.py), so no event
is sent for a scan whose result was not stored. A rescan that finds the same announces nothing."""

from __future__ import annotations

from chalicelib.scanning.scan_verdict import ScanVerdict

ACTOR = "system:scanner"
ACTION = "scan"


def changed(before: ScanVerdict | None, after: ScanVerdict) -> bool:
    return (
        before is None or before.status != after.status or before.fingerprint != after.fingerprint
    )


def record(repo: str, digest: str, before: ScanVerdict | None, after: ScanVerdict) -> bool:
    """Write the audit record if the findings changed; True if it did."""
    if not changed(before, after):
        return False
    from chalicelib.audit import store
    from chalicelib.audit.events import Event
    from chalicelib.oci.digest import checked_digest
    from chalicelib.storage import tags
    from chalicelib.storage.clock import now

    detail = {
        # The tags naming the image when it was scanned (one Query, off the pull path): a
        # receiver that deploys by tag needs them, and a rescan moves no tag to name them.
        "tags": sorted(tags.pointing_at(repo, checked_digest(digest))),
        "status": after.status,
        "counts": after.counts,
        "previousCounts": before.counts if before is not None else None,
        "scannedAt": after.scanned_at,
    }
    store.write(
        Event(
            action=ACTION,
            outcome="ok",
            who=ACTOR,
            at=now(),
            repository=repo,
            digest=digest,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
    return True
