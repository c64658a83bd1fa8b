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
    assert set(queues) == {"DeliveryQueue", "DeadLetterQueue"}
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())
    redrive = queues["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    # The dead letters outlive the retries (more than a day) by days.
    assert queues["DeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] >= 7 * 86400


def test_scans_run_in_the_queue_consumer_with_lambdas_longest_timeout() -> None:
    """Scans (on push, rescans) run in the delivery queue's consumer, not the API function:
    a large image gets 15 minutes and more memory, and SQS keeps the message hidden at least
    as long as the function may run (Lambda refuses a shorter visibility timeout)."""
    import json

    from berth.project_files import CHALICE_DIR

    config = json.loads((CHALICE_DIR / "config.json").read_text())
    queue = of_type("local", "AWS::SQS::Queue")["DeliveryQueue"]["Properties"]
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        consumer = settings["lambda_functions"]["deliver_webhooks"]
        assert consumer["lambda_timeout"] == 900 > settings["lambda_timeout"]
        assert consumer["lambda_memory_size"] > settings["lambda_memory_size"]
        assert queue["VisibilityTimeout"] >= consumer["lambda_timeout"]


def test_the_stack_builds_the_stream_and_queues_in_moto(aws: dict[str, str]) -> None:
    import boto3

    assert ":table/berth-test-meta/stream/" in aws["TableStreamArn"]
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["DeliveryQueueUrl"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert aws["DeadLetterQueueArn"] in attributes["RedrivePolicy"]


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
