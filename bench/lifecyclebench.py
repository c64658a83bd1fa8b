"""Measurement: a lifecycle dry run over the registry the GC bench generates (moto in-process).

`python -m bench.lifecyclebench [--manifests N] [--links-per-manifest K]` seeds the same
registry as bench/gcbench.py (100 repositories, N manifests, about 5 blob links each), adds
to each repository a policy, ten tagged releases with their history, then times
`berth lifecycle run --all --dry-run` (executor.run_all) and counts its AWS calls. Every
repository is planned in full; nothing is deleted.

`--daily` (section `lifecycle-daily`) measures the daily run with the due index instead: over
the same registry, a first real run plans everything and writes the due entries (as the
first run after an upgrade does); then 1% of the repositories change, and the next day's
incremental run (executor.run_due) and a run planning everything (executor.run_all), over the
same state, are timed and their AWS calls counted side by side."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.gcbench import REPOS, child_result, seed
from bench.report import Row, Section
from chalicelib.storage import keys

NAME = "lifecycle"
TITLE = "Lifecycle dry run over the generated GC registry (moto in-process)"
DAILY_NAME = "lifecycle-daily"
DAILY_TITLE = "Lifecycle daily run: the due index vs planning everything (moto in-process)"
CHANGED_PERCENT = 1  # of the repositories, marked changed between the two days
TAGGED_PER_REPO = 10
SEEDED = datetime(2026, 1, 1, tzinfo=UTC)  # every seeded history entry's time
POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["v*"],
                "countType": "imageCountMoreThan",
                "countNumber": 5,
            },
        },
        {
            "rulePriority": 2,
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 30,
            },
        },
    ]
}


def _tag_and_policies(table: str, per_repo: int) -> int:
    """Ten tags per repository (at most half its manifests) on its newest manifests, one
    history entry each, and the policy; returns the items written."""
    import boto3

    from chalicelib.lifecycle.document import parse_policy, render_policy

    dynamodb: Any = boto3.client("dynamodb")
    policy = render_policy(parse_policy(POLICY))
    items: list[dict[str, Any]] = []
    stamp = "2026-01-01T00:00:00.000000+0000"
    for r in range(REPOS):
        pk = {"S": keys.repo_pk(f"bench/r{r}")}
        for t in range(min(TAGGED_PER_REPO, per_repo // 2)):
            digest = f"sha256:{10**9 + r * per_repo + per_repo - 1 - t:064x}"
            items.append(
                {
                    "pk": pk,
                    "sk": {"S": keys.tag_sk(f"v{t}")},
                    "digest": {"S": digest},
                    "media_type": {"S": "application/vnd.oci.image.manifest.v1+json"},
                    "size": {"N": "1000"},
                    "updated_at": {"S": stamp},
                }
            )
            items.append(
                {
                    "pk": pk,
                    "sk": {"S": keys.history_sk(f"v{t}", SEEDED, "00000000")},
                    "tag": {"S": f"v{t}"},
                    "to_digest": {"S": digest},
                    "at": {"S": stamp},
                    "action": {"S": "push"},
                }
            )
        items.append(
            {
                "pk": pk,
                "sk": {"S": keys.LIFECYCLE_SK},
                "version": {"N": "1"},
                "policy": {"S": json.dumps(policy)},
                "updated_at": {"S": stamp},
            }
        )
        items.append({"pk": {"S": "REPOS"}, "sk": {"S": f"bench/r{r}"}})
    for start in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while request:
            answer = dynamodb.batch_write_item(RequestItems=request)
            request = answer.get("UnprocessedItems") or {}
    return len(items)


def measure(manifests: int, per_manifest: int) -> dict[str, Any]:
    from bench.awscalls import recording
    from bench.calls import in_process_registry

    with in_process_registry():
        from chalicelib.config import settings
        from chalicelib.lifecycle.executor import run_all

        seeded = seed(settings().table, settings().bucket, manifests, per_manifest)
        seeded["lifecycle_items"] = _tag_and_policies(settings().table, manifests // REPOS)
        later = datetime.now(UTC) + timedelta(days=1)
        with recording() as recorder, recorder.window() as tally:
            started = time.perf_counter()
            report = run_all(dry_run=True, now=later, budget=3600)
            seconds = time.perf_counter() - started
        document = report.document()
    return {
        "seeded": seeded,
        "dry_run": {
            "seconds": round(seconds, 2),
            "repositories": len(report.repositories),
            "manifests": sum(r.manifests for r in report.repositories),
            "expire": document["expire"],
            "kept": sum(len(r.kept) for r in report.repositories),
            "deleted": document["deleted"],
            "complete": report.complete,
            "dynamodb_calls": len(tally.of("dynamodb")),
            "dynamodb_operations": dict(tally.operations("dynamodb")),
            "dynamodb_read_units": tally.dynamodb_read_units,
            "dynamodb_write_calls": tally.dynamodb_write_calls,
            "s3_calls": len(tally.of("s3")),
        },
    }


def _tally(tally: Any, seconds: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3),
        "dynamodb_calls": len(tally.of("dynamodb")),
        "dynamodb_operations": dict(tally.operations("dynamodb")),
        "dynamodb_read_units": tally.dynamodb_read_units,
        "s3_calls": len(tally.of("s3")),
    }


def measure_daily(manifests: int, per_manifest: int) -> dict[str, Any]:
    from bench.awscalls import recording
    from bench.calls import in_process_registry

    with in_process_registry():
        from chalicelib.config import settings
        from chalicelib.lifecycle import index
        from chalicelib.lifecycle.executor import run_all, run_due
        from chalicelib.storage import lifecycle_due

        seeded = seed(settings().table, settings().bucket, manifests, per_manifest)
        seeded["lifecycle_items"] = _tag_and_policies(settings().table, manifests // REPOS)
        # The day after the seeded pushes: "keep 5 v*" expires, the 30-day rule not yet.
        first_day = SEEDED + timedelta(days=1)
        first = run_all(dry_run=False, now=first_day, budget=3600)
        index.mark_complete()
        changed = [f"bench/r{r}" for r in range(0, REPOS, 100 // CHANGED_PERCENT)]
        for name in changed:
            lifecycle_due.mark_changed(name)  # what a push's transaction stages
        next_day = first_day + timedelta(days=1)
        with recording() as recorder:
            with recorder.window() as tally:
                started = time.perf_counter()
                incremental = run_due(now=next_day, budget=3600)
                incremental_seconds = time.perf_counter() - started
            with recorder.window() as everything_tally:
                started = time.perf_counter()
                everything = run_all(dry_run=False, now=next_day, budget=3600)
                everything_seconds = time.perf_counter() - started
    return {
        "seeded": seeded,
        "first_run": {
            "repositories": len(first.repositories),
            "deleted": first.document()["deleted"],
        },
        "changed": len(changed),
        "incremental": {
            **_tally(tally, incremental_seconds),
            "repositories": len(incremental.repositories),
            "deleted": incremental.document()["deleted"],
        },
        "everything": {
            **_tally(everything_tally, everything_seconds),
            "repositories": len(everything.repositories),
            "deleted": everything.document()["deleted"],
        },
    }


def _daily_rows(data: dict[str, Any]) -> list[Row]:
    seeded, inc, full = data["seeded"], data["incremental"], data["everything"]

    def calls(run: dict[str, Any]) -> int:
        return int(run["dynamodb_calls"]) + int(run["s3_calls"])

    def ops(run: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(run["dynamodb_operations"].items()))

    return [
        Row(
            "registry generated",
            f"{seeded['manifests']} manifests in {REPOS} repositories with a policy; "
            f"{data['changed']} repository(ies) ({CHANGED_PERCENT}%) changed since the last run",
        ),
        Row(
            "daily run, due index: AWS calls",
            f"{calls(inc)} ({ops(inc)}), {inc['repositories']} repositories planned",
        ),
        Row(
            "daily run, planning everything: AWS calls",
            f"{calls(full)} ({ops(full)}), {full['repositories']} repositories planned",
        ),
        Row("daily run: calls, due index / everything", f"{calls(inc) / calls(full):.4f}"),
        Row(
            "daily run: wall time, due index vs everything",
            f"{inc['seconds']} s vs {full['seconds']} s = "
            f"{inc['seconds'] / max(full['seconds'], 1e-9):.4f}",
        ),
    ]


def run_daily(manifests: int = 10_000, per_manifest: int = 5) -> Section:
    import subprocess
    import sys

    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.lifecyclebench",
            "--daily",
            "--manifests",
            str(manifests),
            "--links-per-manifest",
            str(per_manifest),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    section = Section(DAILY_NAME, DAILY_TITLE, rows=_daily_rows(data), data=data)
    section.notes.append(
        "Both runs plan the same state the day after a first run wrote the due entries; a "
        "change is marked with the update a push's transaction stages. Planning everything "
        "also reads and resets the due entries (what `lifecycle run --all` does now). Wall "
        "time is moto's speed; the call ratio is the figure that carries to DynamoDB."
    )
    return section


def _rows(data: dict[str, Any]) -> list[Row]:
    seeded, run = data["seeded"], data["dry_run"]
    n = seeded["manifests"]
    calls = run["dynamodb_calls"] + run["s3_calls"]
    operations = ", ".join(f"{k} {v}" for k, v in sorted(run["dynamodb_operations"].items()))
    return [
        Row(
            "registry generated",
            f"{n} manifests, {seeded['links']} links, {REPOS} repositories with a policy "
            f"and {TAGGED_PER_REPO} tags each",
        ),
        Row(
            "lifecycle --dry-run: wall time",
            f"{run['seconds']} s ({run['expire']} of {run['manifests']} would expire, "
            f"{run['deleted']} deleted)",
        ),
        Row(
            "lifecycle --dry-run: AWS calls",
            f"{run['dynamodb_calls']} DynamoDB ({operations}; {run['dynamodb_read_units']} "
            f"items read), {run['s3_calls']} S3 = {calls / n:.4f} per manifest",
        ),
    ]


def run(manifests: int = 10_000, per_manifest: int = 5) -> Section:
    data = child_result("bench.lifecyclebench", manifests, per_manifest)
    section = Section(NAME, TITLE, rows=_rows(data), data=data)
    section.notes.append(
        "moto runs with berth.motofix (a Query reads its partition, as DynamoDB does; without "
        "it moto sorts the whole table per Query and this run took 474 s). Wall time is "
        "still moto's speed, not DynamoDB's: calls per manifest is the figure to keep low."
    )
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lifecyclebench", description=__doc__)
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--links-per-manifest", type=int, default=5)
    parser.add_argument("--daily", action="store_true", help="the due index vs everything")
    args = parser.parse_args(argv)
    how = measure_daily if args.daily else measure
    print(json.dumps(how(args.manifests, args.links_per_manifest)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
