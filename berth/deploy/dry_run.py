"""`berth deploy --dry-run`: what a deploy of the stage would change, read from AWS without
changing it: the stack's changes (a CloudFormation change set, made, described and deleted;
for a new stack, the resource types of the template), the function's settings that would
differ, where Chalice's record of the stage would come from (berth/deploy/state.py), and
whether the front door and the first admin exist already."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from berth import project_files
from berth.deploy import chalice_step, stack
from berth.deploy.admin_password import parameter_name
from berth.deploy.run import environment
from berth.deploy.state import DeployState
from berth.infra import TEMPLATE, stack_name

WAIT = {"Delay": 2, "MaxAttempts": 150}


def plan(
    stage: str,
    session: Any,
    *,
    front_door: str,
    alarm_topic: str = "",
    event_bus: str = "default",
    say: Callable[[str], None] = print,
    records: Path | None = None,
) -> None:
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    say(f"berth deploy --dry-run: stage {stage} in account {account}, {region} (nothing changes)")
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    outputs: dict[str, str] | None = None
    if not stack.exists(cloudformation, name):
        summary = cloudformation.get_template_summary(TemplateBody=TEMPLATE.read_text())
        kinds = Counter(summary.get("ResourceTypes", []))
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        say(f"  stack {name}: would be created ({listed})")
    else:
        for line in _stack_changes(cloudformation, stage, alarm_topic):
            say(f"  stack {name}: {line}")
        outputs = stack.outputs(cloudformation, name)
    say(f"  app: {project_files.source()}")
    bucket = outputs.get("BucketName") if outputs else None
    state = DeployState(session.client("s3"), bucket, stage, records or chalice_step.RECORDS)
    say(f"  deployment record: {state.describe()}")
    function = f"berth-{stage}"
    lambda_client = session.client("lambda")
    current = _function_environment(lambda_client, function)
    if current is None:
        say(f"  function {function}: would be created")
    elif outputs is not None:
        wanted = environment(outputs, stage, account=account, region=region)
        if event_bus != "default":
            wanted["BERTH_EVENT_BUS"] = event_bus
        changed = sorted(k for k in set(wanted) | set(current) if wanted.get(k) != current.get(k))
        shown = ", ".join(changed) if changed else "none"
        say(f"  function {function}: code deployed again; settings that change: {shown}")
    if front_door == "function-url":
        say(
            f"  function URL: {'kept' if _has_url(lambda_client, function) else 'would be created'}"
        )
    else:
        say("  front door: the REST API (chalice deploy)")
    admin = parameter_name(stage)
    exists = _has_parameter(session.client("ssm"), admin)
    say(f"  first admin: {'kept (SSM ' + admin + ')' if exists else 'would be created'}")


def _stack_changes(cloudformation: Any, stage: str, alarm_topic: str) -> list[str]:
    from botocore.exceptions import WaiterError

    name = stack_name(stage)
    change_set = f"berth-dry-run-{uuid.uuid4().hex[:12]}"
    cloudformation.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType="UPDATE",
        TemplateBody=TEMPLATE.read_text(),
        Parameters=stack.parameters(stage, alarm_topic),
    )
    try:
        try:
            cloudformation.get_waiter("change_set_create_complete").wait(
                StackName=name, ChangeSetName=change_set, WaiterConfig=WAIT
            )
        except WaiterError:
            pass  # a change set without changes ends FAILED: described below
        described = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
    finally:
        cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
    changes = [c.get("ResourceChange", {}) for c in described.get("Changes", [])]
    if not changes:
        return ["no change"]
    return [
        f"{c.get('Action', '?')} {c.get('LogicalResourceId', '?')} ({c.get('ResourceType', '?')})"
        + (
            f", replacement {c['Replacement']}"
            if c.get("Replacement") in ("True", "Conditional")
            else ""
        )
        for c in changes
    ]


def _function_environment(lambda_client: Any, name: str) -> dict[str, str] | None:
    try:
        found = lambda_client.get_function_configuration(FunctionName=name)
    except lambda_client.exceptions.ResourceNotFoundException:
        return None
    variables: dict[str, str] = found.get("Environment", {}).get("Variables", {})
    return variables


def _has_url(lambda_client: Any, name: str) -> bool:
    try:
        lambda_client.get_function_url_config(FunctionName=name)
    except lambda_client.exceptions.ResourceNotFoundException:
        return False
    return True


def _has_parameter(ssm: Any, name: str) -> bool:
    try:
        ssm.get_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        return False
    return True
