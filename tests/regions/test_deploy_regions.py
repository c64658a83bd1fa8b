"""`berth deploy --standby-region` rehearsed against a moto server: the standby's stack before
the primary's (its bucket is the replication's destination), the primary's stack naming the
standby, the table replica before the standby's function, which runs read-only with the
replica's stream, its own Chalice record, and the primary's URL; `--promote` afterwards.

moto has no global tables: the replica step is checked against botocore's model of the
DynamoDB API (a Stubber: the exact requests, with their shapes validated) and, in the
rehearsal, replaced at its boundary by creating the same table in the standby's region, which
is what AWS does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from berth.deploy import regions
from berth.deploy.run import deploy, deploy_with_standby
from tests.deploy.motoserver import REGION
from tests.deploy.test_deploy import FakeChalice

STANDBY = "us-west-2"


def _stack_parameters(session: Any) -> dict[str, str]:
    (stack,) = session.client("cloudformation").describe_stacks(StackName="berth-prod")["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


class Replicas:
    """Stands in for DynamoDB's replica creation (moto has none): the same table, with a
    stream, in the standby's region."""

    def __init__(self, standby_session: Any) -> None:
        self.standby = standby_session
        self.calls: list[tuple[str, str]] = []

    def __call__(self, dynamodb: Any, table: str, region: str, **_: Any) -> None:
        self.calls.append((table, region))
        described = dynamodb.describe_table(TableName=table)["Table"]
        self.standby.client("dynamodb").create_table(
            TableName=table,
            KeySchema=described["KeySchema"],
            AttributeDefinitions=described["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )


class RegionalChalice(FakeChalice):
    """FakeChalice in whichever region the release targets, keeping Chalice's record by the
    name the release gives."""

    def __init__(self, sessions: dict[str, Any], records: Path) -> None:
        super().__init__(sessions[REGION])
        self.sessions = sessions
        self.records = records

    def deploy(self, release: Any) -> Any:
        region = release.target.region
        self.session = self.sessions[region]
        iam = self.session.client("iam")
        if region != REGION and not self.session.client("lambda").list_functions()["Functions"]:
            # IAM is global: the role FakeChalice makes for the first region is there already.
            iam.delete_role(RoleName=f"berth-{release.stage}-role")
        deployed = super().deploy(release)
        arn = f"arn:aws:lambda:{region}:123456789012:function:berth-{release.stage}"
        record = {"resources": [{"name": "api_handler", "lambda_arn": arn}]}
        (self.records / f"{release.record_name}.json").write_text(json.dumps(record))
        return deployed


def test_primary_and_standby(session: Any, tmp_path: Path) -> None:
    import boto3

    standby_session = boto3.session.Session(region_name=STANDBY)
    chalice = RegionalChalice({REGION: session, STANDBY: standby_session}, tmp_path)
    replicas = Replicas(standby_session)
    said: list[str] = []
    primary, standby = deploy_with_standby(
        "prod",
        session,
        standby_session,
        chalice=chalice.deploy,
        say=said.append,
        table_replica=replicas,
        records=tmp_path,
    )
    assert _stack_parameters(standby_session)["RegionRole"] == "standby"
    assert _stack_parameters(session)["StandbyRegion"] == STANDBY
    assert _stack_parameters(session)["RegionRole"] == "primary"
    assert replicas.calls == [("berth-prod-meta", STANDBY)]

    first, second = chalice.releases
    assert first.target.region == REGION and second.target.region == STANDBY
    assert "BERTH_REGION_ROLE" not in first.environment
    assert second.environment["BERTH_REGION_ROLE"] == "standby"
    assert second.environment["BERTH_PRIMARY_URL"] == primary.registry_url
    assert second.environment["BERTH_TABLE"] == "berth-prod-meta"
    assert second.environment["BERTH_BUCKET"].endswith(f"-{STANDBY}")
    replica_stream = standby_session.client("dynamodb").describe_table(TableName="berth-prod-meta")[
        "Table"
    ]["LatestStreamArn"]
    assert second.environment["BERTH_TABLE_STREAM_ARN"] == replica_stream
    assert first.environment["BERTH_TABLE_STREAM_ARN"] != replica_stream
    # Each region's function keeps its own Chalice record.
    assert (first.record_name, second.record_name) == ("prod", f"prod.{STANDBY}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prod.json", f"prod.{STANDBY}.json"]
    assert standby.registry_url != primary.registry_url

    # The primary is lost: the standby's region is promoted. Its stack keeps no table of its
    # own; its function now takes writes.
    promoted = deploy(
        "prod",
        standby_session,
        chalice=chalice.deploy,
        say=said.append,
        stack_role="standby",
        function_role="primary",
        records=tmp_path,
    )
    third = chalice.releases[-1]
    assert "BERTH_REGION_ROLE" not in third.environment
    assert "BERTH_PRIMARY_URL" not in third.environment
    assert third.record_name == f"prod.{STANDBY}"  # the same function, updated
    assert promoted.registry_url == standby.registry_url


def test_the_replica_step_sends_what_dynamodb_takes() -> None:
    """The exact UpdateTable request (validated against botocore's model of the API), then
    DescribeTable until the replica is ACTIVE; nothing asked again once it exists."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    said: list[str] = []
    slept: list[float] = []
    with Stubber(dynamodb) as stub:
        table = {"TableName": "berth-prod-meta"}
        stub.add_response("describe_table", {"Table": {"TableName": "berth-prod-meta"}}, table)
        stub.add_response(
            "update_table",
            {"TableDescription": {"TableName": "berth-prod-meta"}},
            {**table, "ReplicaUpdates": [{"Create": {"RegionName": STANDBY}}]},
        )
        creating = {"RegionName": STANDBY, "ReplicaStatus": "CREATING"}
        active = {"RegionName": STANDBY, "ReplicaStatus": "ACTIVE"}
        stub.add_response("describe_table", {"Table": {"Replicas": [creating]}}, table)
        stub.add_response("describe_table", {"Table": {"Replicas": [active]}}, table)
        regions.add_table_replica(
            dynamodb, "berth-prod-meta", STANDBY, say=said.append, sleep=slept.append, delay=5
        )
        stub.assert_no_pending_responses()
    assert slept == [5, 5]
    assert said[-1] == f"  table berth-prod-meta: replica in {STANDBY} active"

    with Stubber(dynamodb) as stub:
        stub.add_response("describe_table", {"Table": {"Replicas": [active]}}, table)
        regions.add_table_replica(dynamodb, "berth-prod-meta", STANDBY, say=said.append)
        stub.assert_no_pending_responses()


def test_a_replica_that_never_becomes_active_is_said() -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    creating = {"Table": {"Replicas": [{"RegionName": STANDBY, "ReplicaStatus": "CREATING"}]}}
    with Stubber(dynamodb) as stub:
        for _ in range(3):
            stub.add_response("describe_table", creating)
        with pytest.raises(regions.ReplicaNotReady, match="CREATING after 10 s"):
            regions.add_table_replica(
                dynamodb,
                "t",
                STANDBY,
                say=lambda _: None,
                sleep=lambda _: None,
                wait_seconds=10,
                delay=5,
            )


def test_record_names() -> None:
    assert regions.record_name("prod", REGION, None) == "prod"
    assert regions.record_name("prod", REGION, REGION) == "prod"
    assert regions.record_name("prod", STANDBY, REGION) == f"prod.{STANDBY}"
