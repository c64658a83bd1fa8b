"""`berth deploy --stage NAME`: the stack, then the function with the stack's outputs, then
the front door; prints the registry URL.

Every AWS client comes from `session` and the Chalice step is a parameter, so the whole
sequence is rehearsed offline (tests: moto for CloudFormation, STS and Lambda; a fake
Chalice step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from berth.deploy import function_url, stack
from berth.deploy.chalice_step import AppRelease, ChaliceDeploy, chalice_deploy
from berth.deploy.policy import policy, token_key_alias


@dataclass(frozen=True, slots=True)
class Deployment:
    stage: str
    outputs: dict[str, str]
    function_name: str
    registry_url: str
    rest_api_url: str | None


def environment(outputs: dict[str, str], stage: str) -> dict[str, str]:
    """The function's settings (chalicelib/config.py) from the stack's outputs."""
    return {
        "BERTH_STAGE": outputs.get("Stage", stage),
        "BERTH_TABLE": outputs["TableName"],
        "BERTH_BUCKET": outputs["BucketName"],
        "BERTH_TOKEN_KEY": token_key_alias(stage),
    }


def deploy(
    stage: str,
    session: Any,
    *,
    chalice: ChaliceDeploy = chalice_deploy,
    front_door: str = "function-url",
    alarm_topic: str = "",
    say: Callable[[str], None] = print,
) -> Deployment:
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    say(f"berth deploy: stage {stage} in account {account}, {region}")
    outputs = stack.apply(session.client("cloudformation"), stage, alarm_topic)
    say(f"  stack berth-{stage}: table {outputs['TableName']}, bucket {outputs['BucketName']}")
    release = AppRelease(stage, environment(outputs, stage), policy(stage, account, region))
    deployed = chalice(release)
    say(f"  function {deployed.function_name} (policy: berth/deploy/policy.py for {stage})")
    if front_door == "function-url":
        url = function_url.ensure(session.client("lambda"), deployed.function_name)
        registry = url.rstrip("/")
    else:
        registry = deployed.rest_api_url or ""
    host = registry.split("://", 1)[-1].rstrip("/")
    say(f"Registry: {registry}")
    if front_door != "function-url":
        say(
            "  API Gateway puts the stage in the path; OCI clients need /v2/ at the root of"
            " the host: map a custom domain to the API (docs/deploy.md)."
        )
    say(f"  log in with: docker login {host}")
    say("  admin secret: none yet (access control is a separate issue)")
    return Deployment(stage, outputs, deployed.function_name, registry, deployed.rest_api_url)
