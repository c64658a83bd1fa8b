"""Smoke test of the lifecycle dry-run measurement at a tiny scale (its own process)."""

from __future__ import annotations

from bench import lifecyclebench


def test_lifecycle_bench_plans_every_repository_and_deletes_nothing() -> None:
    section = lifecyclebench.run(manifests=200, per_manifest=3)
    assert section.measured
    run = section.data["dry_run"]
    assert run["repositories"] == 100 and run["manifests"] == 200 and run["complete"]
    # Two manifests a repository: v0 is kept ("keep 5 v*"), the untagged one is old.
    assert run["expire"] == 100 and run["deleted"] == 0 and run["dynamodb_write_calls"] == 0
    assert run["s3_calls"] == 0 and run["dynamodb_calls"] >= 100
    assert [r.metric for r in section.rows] == [
        "registry generated",
        "lifecycle --dry-run: wall time",
        "lifecycle --dry-run: AWS calls",
    ]
