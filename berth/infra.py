"""Build Berth's resources from `infra/berth.yaml` through CloudFormation.

Used by the local server and the tests against moto, so the template stays the one
definition of every table and bucket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from berth.project_files import TEMPLATE as TEMPLATE  # the checkout's, or the wheel's copy


def stack_name(stage: str) -> str:
    return f"berth-{stage}"


def create_stack(cloudformation: Any, stage: str, *, environment: str = "local") -> dict[str, str]:
    """Create the stack for `stage` (waiting for it) and return its outputs by key.

    `environment="local"` (moto) leaves out the resources moto's CloudFormation cannot build;
    `berth deploy` passes "aws"."""
    name = stack_name(stage)
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": stage},
            {"ParameterKey": "Environment", "ParameterValue": environment},
        ],
    )
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def apply_ignored_settings(dynamodb: Any, outputs: dict[str, str]) -> None:
    """moto's CloudFormation ignores the table's TTL; set it through the API like AWS would."""
    dynamodb.update_time_to_live(
        TableName=outputs["TableName"],
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )


# The token key: the ES256 signing key is derived from it (chalicelib/auth/derived_keys.py).
TOKEN_KEY_SPEC = "HMAC_256"
TOKEN_KEY_USAGE = "GENERATE_VERIFY_MAC"


def create_local_token_key(kms: Any, outputs: dict[str, str]) -> None:
    """The token key on moto, whose CloudFormation makes every KMS key symmetric: the
    template's `Environment=local` variant leaves it out, and it is made here through the API,
    as in AWS (HMAC_256, GENERATE_VERIFY_MAC: chalicelib/auth/derived_keys.py), under the
    alias the stack outputs."""
    key = kms.create_key(
        KeySpec=TOKEN_KEY_SPEC,
        KeyUsage=TOKEN_KEY_USAGE,
        Description="Berth: the root of the key that signs registry access tokens (ES256)",
    )
    kms.create_alias(AliasName=outputs["TokenKey"], TargetKeyId=key["KeyMetadata"]["KeyId"])


# botocore endpoint data for the services the runtime calls (scripts/trim-endpoints.py).
AWS_DATA = Path(__file__).resolve().parent.parent / "chalicelib" / "awsdata"


def runtime_environment(outputs: dict[str, str]) -> dict[str, str]:
    """The environment variables the Lambda runtime gets (see chalicelib/config.py and the
    stages of .chalice/config.json, which point AWS_DATA_PATH at the same data)."""
    environment = {
        "BERTH_TABLE": outputs["TableName"],
        "BERTH_BUCKET": outputs["BucketName"],
        "AWS_DATA_PATH": str(AWS_DATA),
    }
    if "Stage" in outputs:
        environment["BERTH_STAGE"] = outputs["Stage"]
    if "TokenKey" in outputs:
        environment["BERTH_TOKEN_KEY"] = outputs["TokenKey"]
    if "TableStreamArn" in outputs:
        environment["BERTH_TABLE_STREAM_ARN"] = outputs["TableStreamArn"]
    if "DeliveryQueueArn" in outputs:
        environment["BERTH_DELIVERY_QUEUE_ARN"] = outputs["DeliveryQueueArn"]
    if "DeliveryQueueUrl" in outputs:
        environment["BERTH_DELIVERY_QUEUE_URL"] = outputs["DeliveryQueueUrl"]
    if "DeadLetterQueueUrl" in outputs:
        environment["BERTH_DEAD_LETTER_QUEUE_URL"] = outputs["DeadLetterQueueUrl"]
    for name, key in (
        ("BERTH_SCAN_QUEUE_ARN", "ScanQueueArn"),
        ("BERTH_SCAN_QUEUE_URL", "ScanQueueUrl"),
        ("BERTH_SCAN_DEAD_LETTER_QUEUE_URL", "ScanDeadLetterQueueUrl"),
    ):
        if key in outputs:
            environment[name] = outputs[key]
    return environment
