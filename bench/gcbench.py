"""Measurement: online garbage collection over a generated registry on moto in-process.

`python -m bench.gcbench [--manifests N] [--links-per-manifest K]` seeds a registry straight
into the table (BatchWriteItem, 25 items a call) and the bucket, then times a dry run and a
real collection, counting their AWS calls. It runs in its own process (`run()` spawns it):
chalicelib's settings and clients are per process. bench/lifecyclebench.py runs a lifecycle
dry run over the same generated registry (`seed`)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.report import Row, Section
from chalicelib.storage import keys

NAME = "gc"
TITLE = "Garbage collection over a generated registry (moto in-process)"
REPOS = 100


def _digest(n: int) -> str:
    return f"sha256:{n:064x}"


def seed(table: str, bucket: str, manifests: int, per_manifest: int) -> dict[str, Any]:
    import boto3

    dynamodb: Any = boto3.client("dynamodb")
    s3 = boto3.client("s3")
    per_repo = manifests // REPOS
    garbage_count = max(10, manifests // 10)  # objects linked nowhere
    distinct = per_repo * per_manifest * 20  # layers shared by about 5 repositories each
    started = time.perf_counter()
    items: list[dict[str, Any]] = []
    links = 0
    for r in range(REPOS):
        pk = {"S": keys.repo_pk(f"bench/r{r}")}
        seen: set[int] = set()
        for m in range(per_repo):
            layers = [(r * 997 + m * per_manifest + k) % distinct for k in range(per_manifest)]
            items.append(
                {
                    "pk": pk,
                    "sk": {"S": keys.manifest_sk(_digest(10**9 + r * per_repo + m))},
                    "media_type": {"S": "application/vnd.oci.image.manifest.v1+json"},
                    "size": {"N": "1000"},
                    "blobs": {"L": [{"S": _digest(x)} for x in layers]},
                    "pushed_at": {"S": "2026-01-01T00:00:00.000000+0000"},
                }
            )
            for x in layers:
                if x in seen:
                    continue
                seen.add(x)
                links += 1
                items.append(
                    {
                        "pk": pk,
                        "sk": {"S": keys.link_sk(_digest(x))},
                        "size": {"N": "100"},
                        "s3_key": {"S": f"blobs/sha256/{x:064x}"},
                        "linked_at": {"S": "2026-01-01T00:00:00.000000+0000"},
                    }
                )
    calls = 0
    for start in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while request:
            answer = dynamodb.batch_write_item(RequestItems=request)
            calls += 1
            request = answer.get("UnprocessedItems") or {}
    table_seconds = time.perf_counter() - started
    started = time.perf_counter()
    linked = sorted({int(i["sk"]["S"][-64:], 16) for i in items if i["sk"]["S"][0] == "B"})
    garbage = range(distinct, distinct + garbage_count)
    for x in [*linked, *garbage]:
        s3.put_object(Bucket=bucket, Key=f"blobs/sha256/{x:064x}", Body=b"x" * 100)
    return {
        "manifests": per_repo * REPOS,
        "links": links,
        "objects": len(linked) + garbage_count,
        "garbage": garbage_count,
        "batch_write_calls": calls,
        "seed_table_s": round(table_seconds, 1),
        "seed_s3_s": round(time.perf_counter() - started, 1),
    }


def _timed(recorder: Any, **kwargs: Any) -> dict[str, Any]:
    from chalicelib.gc.collect import collect

    with recorder.window() as tally:
        started = time.perf_counter()
        report = collect(**kwargs)
        seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "dynamodb_calls": len(tally.of("dynamodb")),
        "dynamodb_read_units": tally.dynamodb_read_units,
        "dynamodb_write_calls": tally.dynamodb_write_calls,
        "s3_calls": len(tally.of("s3")),
        "deleted": report.blobs,
        "complete": report.complete,
    }


def measure(manifests: int, per_manifest: int) -> dict[str, Any]:
    from bench.awscalls import recording
    from bench.calls import in_process_registry

    with in_process_registry():
        from chalicelib.config import settings

        seeded = seed(settings().table, settings().bucket, manifests, per_manifest)
        later = datetime.now(UTC) + timedelta(hours=2)
        with recording() as recorder:
            dry = _timed(recorder, dry_run=True, now=later, budget=3600)
            real = _timed(recorder, now=later, budget=3600)
            changes = _incremental(recorder, seeded["manifests"], per_manifest, later)
    return {"seeded": seeded, "dry_run": dry, "collect": real, "incremental": changes}


def _incremental(
    recorder: Any, manifests: int, per_manifest: int, later: datetime
) -> dict[str, Any]:
    """Backfill the reference index, change 1% of the registry through the storage code (a
    manifest delete and a link delete each), then compare in the same state the full scan
    (dry run: it would delete the same) with the incremental collection, and time an
    incremental collection with nothing changed."""
    from chalicelib.gc import reindex
    from chalicelib.oci.digest import checked_digest
    from chalicelib.storage import blobs
    from chalicelib.storage import manifests as stored

    with recorder.window() as tally:
        started = time.perf_counter()
        indexed = reindex.reindex()
        index_seconds = time.perf_counter() - started
    backfill = {
        "seconds": round(index_seconds, 2),
        "entries": indexed.entries,
        "dynamodb_calls": len(tally.of("dynamodb")),
    }
    per_repo = manifests // REPOS
    changed = max(1, manifests // 100)
    for c in range(changed):
        r, m = c % REPOS, c // REPOS
        repo = f"bench/r{r}"
        stored.delete(repo, checked_digest(_digest(10**9 + r * per_repo + m)))
        layer = (r * 997 + m * per_manifest) % (per_repo * per_manifest * 20)
        blobs.unlink(repo, checked_digest(_digest(layer)))
    full = _timed(recorder, dry_run=True, now=later, budget=3600, full=True)
    incremental = _timed(recorder, now=later, budget=3600, full=False)
    unchanged = _timed(recorder, now=later, budget=3600, full=False)
    return {
        "changed": 2 * changed,
        "reindex": backfill,
        "full": full,
        "incremental": incremental,
        "unchanged": unchanged,
    }


def _rows(data: dict[str, Any]) -> list[Row]:
    n = data["seeded"]["manifests"]
    seeded = data["seeded"]
    rows = [
        Row(
            "registry generated",
            f"{n} manifests, {seeded['links']} links, {seeded['objects']} objects: "
            f"table {seeded['seed_table_s']} s, S3 {seeded['seed_s3_s']} s",
        )
    ]
    for key, label in (("dry_run", "gc --dry-run"), ("collect", "gc")):
        run = data[key]
        calls = run["dynamodb_calls"] + run["s3_calls"]
        verb = "found" if key == "dry_run" else "deleted"
        rows.append(
            Row(f"{label}: wall time", f"{run['seconds']} s ({run['deleted']} blobs {verb})")
        )
        rows.append(
            Row(
                f"{label}: AWS calls",
                f"{run['dynamodb_calls']} DynamoDB ({run['dynamodb_read_units']} items read), "
                f"{run['s3_calls']} S3 = {calls / n:.4f} per manifest",
            )
        )
    changes = data.get("incremental")
    if changes:
        rows.extend(_incremental_rows(changes, seeded))
    return rows


def _incremental_rows(changes: dict[str, Any], seeded: dict[str, Any]) -> list[Row]:
    full, incremental = changes["full"], changes["incremental"]
    full_calls = full["dynamodb_calls"] + full["s3_calls"]
    calls = incremental["dynamodb_calls"] + incremental["s3_calls"]
    unchanged = changes["unchanged"]
    # What DynamoDB bills a Scan for is every item it reads, not its pages: the whole table
    # (manifests, links, the reference index). The incremental run's calls each read one item
    # or one digest's small partition.
    table_items = seeded["manifests"] + seeded["links"] + changes["reindex"]["entries"]
    return [
        Row(
            "gc --reindex (one-time backfill)",
            f"{changes['reindex']['entries']} entries, "
            f"{changes['reindex']['dynamodb_calls']} DynamoDB calls, "
            f"{changes['reindex']['seconds']} s",
        ),
        Row(
            f"1% changed ({changes['changed']} deletes): full scan",
            f"{full_calls} AWS calls reading all ~{table_items:,} items of the table, "
            f"{full['seconds']} s ({full['deleted']} found)",
        ),
        Row(
            f"1% changed ({changes['changed']} deletes): incremental",
            f"{calls} AWS calls of one item or one digest's partition each, "
            f"{incremental['seconds']} s ({incremental['deleted']} deleted); "
            f"full/incremental = {full['seconds'] / max(incremental['seconds'], 0.01):.1f}x time",
        ),
        Row(
            "nothing changed: incremental",
            f"{unchanged['dynamodb_calls']} DynamoDB, {unchanged['s3_calls']} S3 calls, "
            f"{unchanged['seconds']} s",
        ),
    ]


def child_result(module: str, manifests: int, per_manifest: int) -> dict[str, Any]:
    """Run `python -m module` over a generated registry in a fresh process (its own moto, so
    nothing of this process's is measured) and return the JSON its last line prints."""
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            module,
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
    return data


def run(manifests: int = 10_000, per_manifest: int = 5) -> Section:
    data = child_result("bench.gcbench", manifests, per_manifest)
    return Section(NAME, TITLE, rows=_rows(data), data=data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gcbench", description=__doc__)
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--links-per-manifest", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.manifests, args.links_per_manifest)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
