"""The background lines of `berth cost` (berth/cost/background.py): each a function of its
driver (repositories changed, pushes, database changes, images touched), pinned by hand."""

from __future__ import annotations

import pytest

from berth.cost import background as bg
from berth.cost.prices import US_EAST_1 as P


def test_lifecycle_is_constant_without_changes_and_linear_in_them() -> None:
    idle, busy = bg.lifecycle(0, 1024), bg.lifecycle(10, 1024)
    runs = 730 / 24
    assert idle.invocations == busy.invocations == pytest.approx(runs)
    assert idle.rru == pytest.approx(runs * bg.LIFECYCLE_DUE_SHARDS)
    assert idle.wru == 0
    # per repository planned: its partition's Query (400 KB / 4 KB) and its policy, a reset
    assert busy.rru - idle.rru == pytest.approx(10 * runs * (400 / 4 + 1))
    assert busy.wru == pytest.approx(10 * runs)


def test_audit_storage_is_what_the_retention_keeps() -> None:
    kept = bg.audit(10_000, 90)
    # 10,000 pushes a month kept 90 days = ~29,589 pushes' records, 3 items of 0.5 KB each
    expected_gb = 10_000 * 90 / (730 / 24) * 3 * 0.5 / 1024 / 1024
    assert kept.dynamodb_gb_months == pytest.approx(expected_gb)
    assert bg.price(kept, P, "arm64") == pytest.approx(expected_gb * (0.25 + 0.20))


def test_a_warm_scan_reads_a_fraction_of_what_a_new_instance_reads() -> None:
    new = bg.scans_on_push(1000, 0.0, 2048)
    warm = bg.scans_on_push(1000, 1.0, 2048)
    assert new.s3_get_class == 1000 * bg.SCAN_ON_PUSH_NEW.s3_get
    assert warm.s3_get_class == 1000 * bg.SCAN_ON_PUSH_WARM.s3_get
    assert warm.s3_get_class < new.s3_get_class / 40
    assert new.sqs_requests == warm.sqs_requests == 3 * 1000  # send, receive, delete
    # items written, a transaction's twice, and the result item's packed keys
    per_scan = 24 + 14 + bg.SCAN_KEYS_WRU
    assert new.wru == warm.wru == pytest.approx(1000 * per_scan)


def test_rescans_grow_with_what_a_change_touches() -> None:
    """With nothing touched only the walk is left: a page of 50 a version, half a read unit
    per result (eventually consistent) and the page's manifest items."""
    quiet = bg.rescans(120, 5000, 0.0, 0.5, 2048)
    assert quiet.invocations == pytest.approx(120 * 100)
    assert quiet.rru == pytest.approx(120 * 5000 * (3 / 4 + 0.5))
    assert quiet.s3_put_class == 0 and quiet.wru == 0
    touched = bg.rescans(120, 5000, 0.05, 0.5, 2048)
    rescanned = 120 * 5000 * 0.05
    assert touched.invocations - quiet.invocations == pytest.approx(rescanned)
    # half with a new finding: the report and its referrer's document
    assert touched.s3_put_class == pytest.approx(rescanned / 2 * bg.RESCAN_CHANGED.s3_put)


def test_scan_duration_adds_the_waits_to_the_cpu() -> None:
    # a rescan with the same findings at 2 GB (a whole vCPU): 147.4 ms CPU, 2 S3 reads of
    # 15 ms, 2 DynamoDB reads of 5 ms, 1 write of 8 ms
    assert bg.scan_ms(bg.RESCAN_UNCHANGED, 2048) == pytest.approx(147.4 + 30 + 10 + 8)
    # at 1 GB the CPU takes 1769/1024 as long
    assert bg.scan_ms(bg.RESCAN_UNCHANGED, 1024) == pytest.approx(147.4 * 1769 / 1024 + 48)


def test_the_line_is_measured_whatever_the_process_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process whose latencies are due to go out (a `berth` command after requests): the
    reference line is still one line, and the process's latencies are left as they were."""
    from berth.cost.log_bytes import request_line_bytes
    from chalicelib import metrics_buffer

    now = [0.0]
    held = metrics_buffer.LatencyBuffer(clock=lambda: now[0])
    monkeypatch.setattr(metrics_buffer, "BUFFER", held)
    held.add("read", 1.0)
    now[0] += metrics_buffer.FLUSH_SECONDS  # the next request would write a metrics line
    assert request_line_bytes() > 0
    assert metrics_buffer.BUFFER is held
    assert [line["Latency"] for line in held.drain()] == [[1.0]]
