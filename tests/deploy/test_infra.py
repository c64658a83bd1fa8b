"""infra/berth.yaml: production settings in AWS, a moto-buildable subset locally, one file.

moto's CloudFormation ignores TTL, PITR, SSE, the public access block and lifecycle rules, and
cannot build bucket policies or alarms, so those are checked in the template itself (and by
cfn-lint); the `aws` fixture proves the local variant deploys into moto."""

from __future__ import annotations

from typing import Any

import pytest

from berth.infra import TEMPLATE
from tests.deploy.template import MOTO_UNSUPPORTED, of_type, resources, template


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    assert [str(m) for m in lint_file(TEMPLATE)] == []


def test_the_local_variant_holds_only_what_moto_builds() -> None:
    local = resources("local")
    assert {r["Type"] for r in local.values()} == {
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
    }
    assert not {r["Type"] for r in local.values()} & MOTO_UNSUPPORTED


def test_the_aws_variant_adds_the_bucket_policy_and_alarms() -> None:
    extra = set(resources("aws")) - set(resources("local"))
    kinds = sorted(resources("aws")[name]["Type"] for name in extra)
    assert kinds == ["AWS::CloudWatch::Alarm"] * 4 + [
        "AWS::KMS::Alias",
        "AWS::KMS::Key",
        "AWS::S3::BucketPolicy",
    ]
    assert template()["Parameters"]["Environment"]["Default"] == "aws"


def test_table_production_settings() -> None:
    (table,) = of_type("local", "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    # chalicelib/storage/models.py: upload sessions carry `expires_at`.
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_audit_retention_is_the_tables_ttl() -> None:
    """Audit items expire by DynamoDB's TTL (free deletes), not by a job that scans for them:
    their retention attribute must be the one the table's TTL names."""
    from chalicelib.storage.audit_items import AuditItem

    (table,) = of_type("local", "AWS::DynamoDB::Table").values()
    ttl = table["Properties"]["TimeToLiveSpecification"]["AttributeName"]
    assert AuditItem.expires_at.attr_name == ttl


def test_bucket_production_settings() -> None:
    (bucket,) = of_type("local", "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["abort-abandoned-multipart-uploads"]["AbortIncompleteMultipartUpload"]
    assert rules["expire-upload-staging"]["Prefix"] == "uploads/"
    assert all(r["Status"] == "Enabled" for r in rules.values())
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"


def test_bucket_policy_denies_plain_http() -> None:
    (policy,) = of_type("aws", "AWS::S3::BucketPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(statement["Resource"]) == 2  # the bucket and its objects


def _metrics(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    props = alarm["Properties"]
    if "MetricName" in props:
        return {(props["Namespace"], props["MetricName"])}
    return {
        (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
        for m in props["Metrics"]
        if "MetricStat" in m
    }


def test_alarms_cover_errors_throttles_and_5xx() -> None:
    watched: set[tuple[str, str]] = set()
    for alarm in of_type("aws", "AWS::CloudWatch::Alarm").values():
        watched |= _metrics(alarm)
    assert watched == {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("Berth", "Errors"),  # the EMF metric of chalicelib/metrics.py
    }


@pytest.mark.parametrize("output", ["TableName", "BucketName", "Stage"])
def test_outputs_feed_the_runtime(output: str) -> None:
    from berth.infra import runtime_environment

    assert output in template()["Outputs"]
    env = runtime_environment({"TableName": "t", "BucketName": "b", "Stage": "s"})
    assert {env["BERTH_TABLE"], env["BERTH_BUCKET"], env["BERTH_STAGE"]} == {"t", "b", "s"}


def test_token_key_output_feeds_the_runtime(aws: dict[str, str]) -> None:
    import boto3

    from berth.deploy.iam_policy import token_key_alias
    from berth.infra import runtime_environment

    assert aws["TokenKey"] == token_key_alias("test")
    assert runtime_environment(aws)["BERTH_TOKEN_KEY"] == token_key_alias("test")
    key = boto3.client("kms").describe_key(KeyId=aws["TokenKey"])["KeyMetadata"]
    # An HMAC key since tokens are signed with a key derived from it (issue 16), not by KMS.
    assert (key["KeySpec"], key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")


def test_the_stack_deployed_into_moto(aws: dict[str, str]) -> None:
    assert aws["TableName"].startswith("berth-test-")
    assert aws["Stage"] == "test"


def test_events_resources() -> None:
    """The stream events are derived from, and the webhook queues (chalicelib/events/)."""
    (table,) = of_type("local", "AWS::DynamoDB::Table").values()
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    queues = of_type("local", "AWS::SQS::Queue")
    assert set(queues) == {"DeliveryQueue", "DeadLetterQueue", "ScanQueue", "ScanDeadLetterQueue"}
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())
    for queue, dead in (("DeliveryQueue", "DeadLetterQueue"), ("ScanQueue", "ScanDeadLetterQueue")):
        redrive = queues[queue]["Properties"]["RedrivePolicy"]
        assert redrive == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]},
            "maxReceiveCount": 5,
        }
        # The dead letters outlive the retries (more than a day) by days.
        assert queues[dead]["Properties"]["MessageRetentionPeriod"] >= 7 * 86400
    assert queues["ScanQueue"]["Properties"]["QueueName"] == {"Fn::Sub": "berth-${Stage}-scans"}


def test_scans_run_in_a_function_of_their_own_on_a_queue_of_their_own() -> None:
    """Scans (on push, asked for, rescans) run in `run_scans` on the scan queue, with Lambda's
    15 minutes and 2 GB; SQS keeps a message hidden at least as long as the function may run
    (Lambda refuses a shorter visibility timeout). The webhook deliverer is small again: its
    15 minutes are replication's (a copy of a large layer), its memory less than the API's."""
    import json

    from berth.project_files import CHALICE_DIR

    config = json.loads((CHALICE_DIR / "config.json").read_text())
    queues = of_type("local", "AWS::SQS::Queue")
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        scanner = settings["lambda_functions"]["run_scans"]
        assert (scanner["lambda_timeout"], scanner["lambda_memory_size"]) == (900, 2048)
        assert queues["ScanQueue"]["Properties"]["VisibilityTimeout"] == 960
        assert queues["ScanQueue"]["Properties"]["VisibilityTimeout"] >= scanner["lambda_timeout"]
        deliverer = settings["lambda_functions"]["deliver_webhooks"]
        assert (deliverer["lambda_timeout"], deliverer["lambda_memory_size"]) == (900, 512)
        assert deliverer["lambda_memory_size"] < settings["lambda_memory_size"] == 1024
        assert queues["DeliveryQueue"]["Properties"]["VisibilityTimeout"] >= 900
        assert settings["lambda_timeout"] == 60  # the API function


def test_app_attaches_run_scans_to_the_scan_queue() -> None:
    """What Chalice deploys: an SQS event source on the scan queue's ARN (BERTH_SCAN_QUEUE_ARN,
    from the stack's outputs), one message a run, apart from the webhook deliverer's."""
    from app import app
    from chalicelib.events.config import delivery_queue_arn, scan_queue_arn

    sources = {s.name: s for s in app.event_sources}
    scans = sources["run_scans"]
    assert (scans.queue_arn, scans.batch_size) == (scan_queue_arn(), 1)  # type: ignore[attr-defined]
    assert sources["deliver_webhooks"].queue_arn == delivery_queue_arn()  # type: ignore[attr-defined]
    assert scan_queue_arn() != delivery_queue_arn()


def test_the_stack_builds_the_stream_and_queues_in_moto(aws: dict[str, str]) -> None:
    import boto3

    assert ":table/berth-test-meta/stream/" in aws["TableStreamArn"]
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["DeliveryQueueUrl"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert aws["DeadLetterQueueArn"] in attributes["RedrivePolicy"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["ScanQueueUrl"], AttributeNames=["RedrivePolicy", "VisibilityTimeout"]
    )["Attributes"]
    assert aws["ScanDeadLetterQueueArn"] in attributes["RedrivePolicy"]
    assert attributes["VisibilityTimeout"] == "960"


def test_the_5xx_alarm_adds_every_kind_the_code_emits() -> None:
    """The alarm sums `Errors` over the `Kind` values, so a kind left out would go unwatched;
    each filled with 0, since a line sends `Errors` only when it failed (chalicelib/metrics.py)
    and a sum with a missing term has no value."""
    from chalicelib.metrics import KINDS

    alarm = of_type("aws", "AWS::CloudWatch::Alarm")["ServerErrorsAlarm"]["Properties"]
    kinds = {
        d["Value"]
        for m in alarm["Metrics"]
        if "MetricStat" in m
        for d in m["MetricStat"]["Metric"]["Dimensions"]
        if d["Name"] == "Kind"
    }
    assert kinds == set(KINDS)
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    terms = expression.replace(" ", "").split("+")
    assert sorted(terms) == sorted(f"FILL({kind},0)" for kind in KINDS)
