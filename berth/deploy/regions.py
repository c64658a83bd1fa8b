"""Two regions of one stage (docs/regions.md): the primary's table gains a global-table
replica in the standby's region, and the standby's function finds that replica's stream.

moto runs neither global tables nor their replicas: tests/regions/test_deploy_regions.py
checks these calls against botocore's own model of the DynamoDB API (a Stubber), and the
sequence around them against a moto server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

ACTIVE = "ACTIVE"


class ReplicaNotReady(RuntimeError):
    """The replica did not become ACTIVE in the time given."""


def replica_regions(dynamodb: Any, table: str) -> dict[str, str]:
    """The table's replicas: region -> status."""
    described = dynamodb.describe_table(TableName=table)["Table"]
    return {r["RegionName"]: r.get("ReplicaStatus", "") for r in described.get("Replicas", [])}


def add_table_replica(
    dynamodb: Any,
    table: str,
    region: str,
    *,
    say: Callable[[str], None] = print,
    wait_seconds: float = 1800,
    delay: float = 20,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Make `table` a global table with a replica in `region` (nothing if it has one), and
    wait until that replica is ACTIVE: the standby's function reads it."""
    replicas = replica_regions(dynamodb, table)
    if region not in replicas:
        say(f"  table {table}: adding a global-table replica in {region} (minutes)")
        dynamodb.update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": region}}])
    waited = 0.0
    while replicas.get(region) != ACTIVE:
        if waited >= wait_seconds:
            raise ReplicaNotReady(
                f"the replica of {table} in {region} is {replicas.get(region) or 'absent'} "
                f"after {wait_seconds:.0f} s; run berth deploy again to go on"
            )
        sleep(delay)
        waited += delay
        replicas = replica_regions(dynamodb, table)
    say(f"  table {table}: replica in {region} active")


def replica_stream_arn(dynamodb: Any, table: str) -> str:
    """The stream of the table's replica in `dynamodb`'s region: what a standby's (and, once
    promoted, the new primary's) event handler is attached to."""
    described = dynamodb.describe_table(TableName=table)["Table"]
    arn = described.get("LatestStreamArn")
    if not arn:
        raise ReplicaNotReady(f"{table} has no stream in this region: is the replica made?")
    return str(arn)


def record_name(stage: str, region: str, recorded_region: str | None) -> str:
    """The name Chalice's record of this region's function is kept under: `<stage>` for the
    region that first deployed the stage, `<stage>.<region>` for any other, so the two
    regions' functions never share (and overwrite) one record."""
    if recorded_region is None or recorded_region == region:
        return stage
    return f"{stage}.{region}"
