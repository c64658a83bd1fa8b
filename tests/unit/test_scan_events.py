"""A scan's audit record as an event (pure): ECR's scan event fields under `Berth Image Scan`
and the `image.scanned` webhook type, the severity counts carried through."""

from __future__ import annotations

from chalicelib.events import formats
from chalicelib.events.change import SCAN, from_stream_image
from tests.unit.test_events import DIGEST, image


def test_a_scan_record_is_a_scan_event_with_its_counts() -> None:
    change = from_stream_image(
        image(
            action="scan",
            who="system:scanner",
            detail={
                "status": "COMPLETE",
                "counts": {"CRITICAL": 1, "LOW": 2},
                "previousCounts": {"LOW": 2},
                "tags": ["1.0", "latest"],
            },
        )
    )
    assert change is not None and change.kind == SCAN
    assert formats.detail_type(change) == "Berth Image Scan"
    assert formats.webhook_type(change) == "image.scanned"
    detail = formats.detail(change)
    assert detail["action-type"] == "SCAN"
    assert detail["image-digest"] == DIGEST
    assert detail["scan-status"] == "COMPLETE"
    assert detail["finding-severity-counts"] == {"CRITICAL": 1, "LOW": 2}
    assert detail["previous-finding-severity-counts"] == {"LOW": 2}
    assert detail["actor"] == "system:scanner"
    assert "verified" not in detail
    # A scan moves no tag, yet a receiver deploying by tag needs the tags naming the image.
    assert detail["image-tags"] == ["1.0", "latest"]
    assert detail["tag-moves"] == []


def test_other_events_carry_no_scan_fields() -> None:
    change = from_stream_image(image(detail={"counts": {"HIGH": 1}}))
    assert change is not None
    assert "finding-severity-counts" not in formats.detail(change)
