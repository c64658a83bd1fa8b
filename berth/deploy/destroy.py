"""`berth destroy --stage NAME`: the function first, then the stack; the data stays.

The table and the bucket have DeletionPolicy Retain (infra/berth.yaml): deleting a
registry must never delete the images in it by accident. They are named on the way out,
with the commands that would delete them for good. The first admin's password parameter is
kept too: the user it belongs to lives on in the kept table, so a later deploy of the stage
finds both and changes neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from berth.deploy import stack
from berth.deploy.chalice_step import ChaliceDelete, chalice_delete
from berth.deploy.first_admin import parameter_name
from berth.deploy.target import AwsTarget
from berth.infra import stack_name


def destroy(
    stage: str,
    session: Any,
    *,
    chalice: ChaliceDelete = chalice_delete,
    say: Callable[[str], None] = print,
) -> dict[str, str]:
    """Remove the stage's function and stack; return the retained resources' names."""
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    kept = stack.outputs(cloudformation, name) if stack.exists(cloudformation, name) else {}
    chalice(stage, AwsTarget.of(session))
    say(f"berth destroy: function berth-{stage} and its API deleted")
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
