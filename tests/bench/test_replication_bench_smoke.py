"""Smoke test of the replication measurement at a tiny size: the source's pipeline copies
a 4-layer image to a fresh `berth serve`, skopeo copies it to another, both twice, and the
section has the rows the report prints with figures that could only come from real copies."""

from __future__ import annotations

import pytest

from bench import replicationbench

pytestmark = pytest.mark.e2e


def test_replication_bench_copies_through_the_pipeline_and_with_skopeo() -> None:
    section = replicationbench.run(8, layers=4, large_mib=4, rounds=2)

    assert section.measured
    image = section.data["image"]
    assert len(image["berth_runs_s"]) == 2 and len(image["skopeo_runs_s"]) == 2
    assert all(s > 0 for s in image["berth_runs_s"] + image["skopeo_runs_s"])
    assert image["ratio"] == round(image["berth_s"] / image["skopeo_s"], 2)
    # The source server holds tens of MB once started; a peak under that was not read.
    assert 40 < image["source_peak_rss_mb"] < replicationbench.RSS_TARGET_MB
    assert image["source_peak_rss_mb"] >= image["source_rss_before_mb"]
    large = section.data["large"]
    assert large["layers"] == 1 and len(large["berth_runs_s"]) == len(large["skopeo_runs_s"]) == 1
    assert [row.metric for row in section.rows] == [
        "berth replicate, 8 MiB in 4 layers, source pipeline to a fresh berth serve",
        "  peak RSS of the replicating process (source berth serve)",
        "  peak RSS replicating one 4 MiB layer (under the resumable threshold: streamed)",
    ]
