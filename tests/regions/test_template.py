"""infra/berth.yaml's second region (docs/regions.md), checked on the template's structure:
moto runs neither global tables nor bucket replication, so what AWS would build is read from
the template with its conditions evaluated (tests/deploy/template.py), and cfn-lint checks it
(tests/deploy/test_infra.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.gc.sweep import MANIFESTS
from chalicelib.storage.blobs import blob_key
from chalicelib.storage.vulndb import PREFIX as VULNDB
from tests.deploy.template import of_type, outputs, resources

TWO_REGIONS = {"StandbyRegion": "eu-west-1"}


def _bucket(environment: str, **given: str) -> dict[str, Any]:
    (bucket,) = of_type(environment, "AWS::S3::Bucket", **given).values()
    properties: dict[str, Any] = bucket["Properties"]
    return properties


def test_one_region_is_unchanged() -> None:
    """No standby: no versioning, no replication, no role; the stream keeps new images only
    (a versioned bucket would keep every deleted blob as a noncurrent version)."""
    for environment in ("aws", "local"):
        assert "VersioningConfiguration" not in _bucket(environment)
        assert "ReplicationConfiguration" not in _bucket(environment)
        assert not of_type(environment, "AWS::IAM::Role")
        (table,) = of_type(environment, "AWS::DynamoDB::Table").values()
        assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    # The local server (moto) never replicates, whatever it is given.
    assert "ReplicationConfiguration" not in _bucket("local", **TWO_REGIONS)


def test_the_primary_replicates_what_a_pull_reads_to_the_standby() -> None:
    bucket = _bucket("aws", **TWO_REGIONS)
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    replication = bucket["ReplicationConfiguration"]
    assert replication["Role"] == {"Fn::GetAtt": ["ReplicationRole", "Arn"]}
    rules = replication["Rules"]
    prefixes = [r["Filter"]["Prefix"] for r in rules]
    # Every prefix the runtime reads on a pull or a scan, and not upload staging.
    assert blob_key_prefix() in prefixes and MANIFESTS in prefixes and VULNDB in prefixes
    assert "uploads/" not in prefixes and "" not in prefixes
    assert len({r["Priority"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["Status"] == "Enabled"
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}  # GC's deletions
        destination = rule["Destination"]["Bucket"]["Fn::Sub"]
        # The standby's bucket: the same name pattern, in the standby's region.
        assert destination.endswith("s3:::berth-${Stage}-${AWS::AccountId}-${StandbyRegion}")
        assert "ReplicationTime" not in rule["Destination"]
    (table,) = of_type("aws", "AWS::DynamoDB::Table", **TWO_REGIONS).values()
    # Global tables (version 2019.11.21) need both images in the stream.
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def blob_key_prefix() -> str:
    from chalicelib.oci.digest import parse_digest

    key = blob_key(parse_digest("sha256:" + "0" * 64))
    return key.split("/", 1)[0] + "/"


def test_replication_time_control_is_opt_in() -> None:
    bounded = _bucket("aws", **TWO_REGIONS, ReplicationTimeControl="true")
    blobs = bounded["ReplicationConfiguration"]["Rules"][0]["Destination"]
    assert blobs["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert blobs["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}


def test_the_replication_role_reads_here_and_writes_only_there() -> None:
    (role,) = of_type("aws", "AWS::IAM::Role", **TWO_REGIONS).values()
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    (policy,) = role["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    writes = [s for s in statements if any(a.startswith("s3:Replicate") for a in s["Action"])]
    (write,) = writes
    assert write["Resource"]["Fn::Sub"].endswith("${StandbyRegion}/*")
    for statement in statements:
        assert "*" not in statement["Action"] and "s3:*" not in statement["Action"]
        if statement is not write:
            assert "${AWS::Region}" in statement["Resource"]["Fn::Sub"]


def test_the_standby_has_no_table_of_its_own_and_a_versioned_bucket() -> None:
    standby = {"RegionRole": "standby"}
    assert not of_type("aws", "AWS::DynamoDB::Table", **standby)
    assert _bucket("aws", **standby)["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "ReplicationConfiguration" not in _bucket("aws", **standby)
    # Everything else a function needs is there: queues, token key, alarms.
    kinds = {r["Type"] for r in resources("aws", **standby).values()}
    assert {"AWS::SQS::Queue", "AWS::KMS::Key", "AWS::CloudWatch::Alarm"} <= kinds
    found = outputs("aws", **standby)
    assert "TableStreamArn" not in found  # the replica's stream is found by berth deploy
    assert found["TableName"]["Value"] == {"Fn::Sub": "berth-${Stage}-meta"}
    assert found["RegionRole"]["Value"] == {"Ref": "RegionRole"}
    # The table alarm names the table, not a resource this stack may not have.
    for alarm in of_type("aws", "AWS::CloudWatch::Alarm", **standby).values():
        assert "MetaTable" not in str(alarm)
