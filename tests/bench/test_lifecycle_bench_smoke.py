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


def test_daily_bench_plans_only_the_changed_repository() -> None:
    section = lifecyclebench.run_daily(manifests=200, per_manifest=3)
    assert section.measured
    data = section.data
    assert data["changed"] == 1 and data["first_run"]["repositories"] == 100
    incremental, everything = data["incremental"], data["everything"]
    assert incremental["repositories"] == 1 and everything["repositories"] == 100
    # The due shards, one BatchGetItem, the changed repository's snapshot and reset.
    assert incremental["dynamodb_operations"] == {"Query": 5, "BatchGetItem": 1, "UpdateItem": 1}
    assert everything["dynamodb_calls"] > 20 * incremental["dynamodb_calls"]
    assert [r.metric for r in section.rows] == [
        "registry generated",
        "daily run, due index: AWS calls",
        "daily run, planning everything: AWS calls",
        "daily run: calls, due index / everything",
        "daily run: wall time, due index vs everything",
    ]
