"""`berth destroy --stage NAME`: the function first, then the stack; the data stays.

The table and the bucket have DeletionPolicy Retain (infra/berth.yaml): deleting a
registry must never delete the images in it by accident. They are named on the way out,
with the commands that would delete them for good. The first admin's password parameter is
kept too: the user it belongs to lives on in the kept table, so a later deploy of the stage
finds both and changes neither. Signing keys are not data: the stack's own key goes with the
stack, and the keys `berth keys rotate` made (tagged with the stage) are scheduled for deletion
with their `-previous` alias, since nothing can use them once the function is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from berth.deploy import chalice_step, stack
from berth.deploy.admin_password import parameter_name
from berth.deploy.chalice_step import ChaliceDelete, chalice_delete
from berth.deploy.iam_policy import token_key_alias
from berth.deploy.keys import STAGE_TAG
from berth.deploy.state import DeployState
from berth.deploy.target import AwsTarget
from berth.infra import stack_name
from chalicelib.auth.auth_settings import previous_alias


def destroy(
    stage: str,
    session: Any,
    *,
    chalice: ChaliceDelete = chalice_delete,
    say: Callable[[str], None] = print,
    records: Path | None = None,
) -> dict[str, str]:
    """Remove the stage's function and stack; return the retained resources' names. Chalice's
    record comes from the kept bucket when this checkout has none (berth/deploy/state.py), and
    goes back there emptied, so a later deploy from anywhere starts afresh."""
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    kept = stack.outputs(cloudformation, name) if stack.exists(cloudformation, name) else {}
    state = DeployState(
        session.client("s3"), kept.get("BucketName"), stage, records or chalice_step.RECORDS
    )
    say(f"berth destroy: {state.pull()}")
    chalice(stage, AwsTarget.of(session))
    say(f"berth destroy: function berth-{stage} and its API deleted")
    say(f"  {state.push()}")
    if kept:
        stack.delete(cloudformation, stage)
        say(f"  stack {name} deleted")
        say("Kept (DeletionPolicy Retain), with every image in them:")
        say(f"  DynamoDB table {kept['TableName']}")
        say(f"  S3 bucket      {kept['BucketName']}")
        say(
            "  to delete them for good: aws dynamodb delete-table --table-name"
            f" {kept['TableName']}; aws s3 rb --force s3://{kept['BucketName']}"
        )
    retained = {k: v for k, v in kept.items() if k in ("TableName", "BucketName")}
    retire_rotated_keys(session.client("kms"), stage, say)
    parameter = parameter_name(stage)
    ssm = session.client("ssm")
    try:
        ssm.get_parameter(Name=parameter)
    except ssm.exceptions.ParameterNotFound:
        return retained
    say(f"Kept: SSM parameter {parameter} (the admin's password, for the user in the kept table)")
    say(f"  to delete it with the table: aws ssm delete-parameter --name {parameter}")
    retained["AdminPasswordParameter"] = parameter
    return retained


# KMS keeps a key this many days after deletion is scheduled (7 is the least it allows).
KEY_DELETION_WINDOW_DAYS = 7


def retire_rotated_keys(kms: Any, stage: str, say: Callable[[str], None] = print) -> list[str]:
    """Schedule deletion of the keys `berth keys rotate` made for `stage`, and drop the
    `-previous` alias; return the keys scheduled. Keys of other stages and keys already
    pending deletion are left alone; a key this caller may not read is skipped."""
    from botocore.exceptions import ClientError

    scheduled: list[str] = []
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            try:
                tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
                if {"TagKey": STAGE_TAG, "TagValue": stage} not in tags:
                    continue
                state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
                if state == "PendingDeletion":
                    continue
                kms.schedule_key_deletion(
                    KeyId=key["KeyId"], PendingWindowInDays=KEY_DELETION_WINDOW_DAYS
                )
            except ClientError:
                continue  # AWS-managed or another account's key: not ours to judge
            scheduled.append(str(key["KeyId"]))
    previous = previous_alias(token_key_alias(stage))
    try:
        kms.delete_alias(AliasName=previous)
    except kms.exceptions.NotFoundException:
        pass
    if scheduled:
        say(
            f"  {len(scheduled)} rotated signing key(s) scheduled for deletion in "
            f"{KEY_DELETION_WINDOW_DAYS} days (aws kms cancel-key-deletion --key-id ID undoes it)"
        )
    return scheduled
