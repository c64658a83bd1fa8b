"""Create or update a stage's CloudFormation stack from infra/berth.yaml, in AWS."""

from __future__ import annotations

from typing import Any

from berth.infra import TEMPLATE, stack_name

WAIT = {"Delay": 5, "MaxAttempts": 360}


def parameters(
    stage: str, alarm_topic: str, *, role: str = "primary", standby_region: str = ""
) -> list[dict[str, str]]:
    values = {
        "Stage": stage,
        "Environment": "aws",
        "AlarmTopicArn": alarm_topic,
        "RegionRole": role,
        "StandbyRegion": standby_region,
    }
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


def exists(cloudformation: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] != "DELETE_COMPLETE"


def apply(
    cloudformation: Any,
    stage: str,
    alarm_topic: str = "",
    wait: dict[str, int] = WAIT,
    *,
    role: str = "primary",
    standby_region: str = "",
) -> dict[str, str]:
    """Create the stack, or update it to the current template; return its outputs. `role`
    standby builds a second region's stack (no table: the primary's replica is its table)."""
    from botocore.exceptions import ClientError

    name = stack_name(stage)
    request = {
        "StackName": name,
        "TemplateBody": TEMPLATE.read_text(),
        "Parameters": parameters(stage, alarm_topic, role=role, standby_region=standby_region),
        "Tags": [{"Key": "berth:stage", "Value": stage}],
    }
    if not exists(cloudformation, name):
        cloudformation.create_stack(**request)
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=wait)
    else:
        try:
            cloudformation.update_stack(**request)
        except ClientError as error:
            if "No updates are to be performed" not in str(error):
                raise
        else:
            waiter = cloudformation.get_waiter("stack_update_complete")
            waiter.wait(StackName=name, WaiterConfig=wait)
    return outputs(cloudformation, name)


def outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def delete(cloudformation: Any, stage: str, wait: dict[str, int] = WAIT) -> None:
    """Delete the stack; resources with DeletionPolicy Retain (table, bucket) stay."""
    name = stack_name(stage)
    cloudformation.delete_stack(StackName=name)
    cloudformation.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=wait)
