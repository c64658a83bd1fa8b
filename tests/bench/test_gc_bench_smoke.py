"""Smoke test of the garbage-collection measurement at a tiny scale (its own process)."""

from __future__ import annotations

from bench import gcbench


def test_gc_bench_runs_and_collects_the_garbage() -> None:
    section = gcbench.run(manifests=200, per_manifest=3)
    assert section.measured
    data = section.data
    assert data["seeded"]["manifests"] == 200 and data["seeded"]["links"] > 0
    assert data["dry_run"]["deleted"] == data["seeded"]["garbage"]
    assert data["collect"]["deleted"] == data["seeded"]["garbage"]
    assert data["collect"]["complete"]
    assert [r.metric for r in section.rows][1:] == [
        "gc --dry-run: wall time",
        "gc --dry-run: AWS calls",
        "gc: wall time",
        "gc: AWS calls",
        "gc --reindex (one-time backfill)",
        "1% changed (4 deletes): full scan",
        "1% changed (4 deletes): incremental",
        "nothing changed: incremental",
    ]
    changes = data["incremental"]
    assert changes["reindex"]["entries"] > 0
    # in the same state, the incremental collection deletes what the full scan would
    assert changes["incremental"]["deleted"] == changes["full"]["deleted"]
    assert changes["unchanged"]["deleted"] == 0
