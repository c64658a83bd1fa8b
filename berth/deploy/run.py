"""`berth deploy --stage NAME`: the stack, the first admin, then the function with the stack's
outputs, then the front door; prints the registry URL and where the admin's password is.

Every AWS client comes from `session`, and the two child processes (Chalice, the first
admin) get its profile and region, so the whole sequence is rehearsed against a moto server
(tests/deploy: test_deploy.py with the Chalice step faked at its boundary,
test_real_chalice.py with the real `chalice deploy`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from berth.deploy import admin_password, chalice_step, function_url, log_config, regions, stack
from berth.deploy.chalice_step import (
    AppRelease,
    ChaliceDeploy,
    CustomDomain,
    chalice_deploy,
    keep_domain,
    recorded_region,
)
from berth.deploy.iam_policy import policy, token_key_alias
from berth.deploy.service_name import service_name
from berth.deploy.state import DeployState
from berth.deploy.target import AwsTarget
from berth.first_admin import ADMIN_USER
from berth.infra import stack_name


@dataclass(frozen=True, slots=True)
class Deployment:
    stage: str
    outputs: dict[str, str]
    function_name: str
    registry_url: str
    rest_api_url: str | None
    admin: admin_password.AdminSecret


def environment(
    outputs: dict[str, str],
    stage: str,
    *,
    account: str,
    region: str,
    role: str = "primary",
    primary_url: str | None = None,
) -> dict[str, str]:
    """The function's settings (chalicelib/config.py) from the stack's outputs."""
    regions = {"BERTH_REGION_ROLE": role} if role != "primary" else {}
    if primary_url:
        regions["BERTH_PRIMARY_URL"] = primary_url
    return {
        **regions,
        "BERTH_STAGE": outputs.get("Stage", stage),
        # This registry's own name: what it signs and checks is refused by any other.
        "BERTH_SERVICE": service_name(stage, account, region),
        "BERTH_TABLE": outputs["TableName"],
        "BERTH_BUCKET": outputs["BucketName"],
        "BERTH_TOKEN_KEY": token_key_alias(stage),
        # Real S3 refuses a PUT whose body does not match its signed SHA-256: direct uploads
        # are verified by the checksum S3 stored, not re-read (chalicelib/storage/direct.py).
        # Not in .chalice/config.json: chalice.test.Client would apply it to tests on moto.
        "BERTH_S3_ENFORCES_CHECKSUMS": "1",
        # Events (chalicelib/events/): what app.py attaches its handlers to, and the queues.
        **{
            name: outputs[key]
            for name, key in (
                ("BERTH_TABLE_STREAM_ARN", "TableStreamArn"),
                ("BERTH_DELIVERY_QUEUE_ARN", "DeliveryQueueArn"),
                ("BERTH_DELIVERY_QUEUE_URL", "DeliveryQueueUrl"),
                ("BERTH_DEAD_LETTER_QUEUE_URL", "DeadLetterQueueUrl"),
                ("BERTH_SCAN_QUEUE_ARN", "ScanQueueArn"),
                ("BERTH_SCAN_QUEUE_URL", "ScanQueueUrl"),
                ("BERTH_SCAN_DEAD_LETTER_QUEUE_URL", "ScanDeadLetterQueueUrl"),
            )
            if key in outputs
        },
    }


def deploy(
    stage: str,
    session: Any,
    *,
    chalice: ChaliceDeploy = chalice_deploy,
    front_door: str = "function-url",
    domain: CustomDomain | None = None,
    drop_domain: bool = False,
    alarm_topic: str = "",
    show_admin_password: bool = False,
    event_bus: str = "default",
    say: Callable[[str], None] = print,
    stack_role: str = "primary",
    function_role: str | None = None,
    standby_region: str = "",
    primary_url: str | None = None,
    table_replica: Callable[..., None] = regions.add_table_replica,
    records: Path | None = None,
) -> Deployment:
    """Deploy (or upgrade) `stage`. A custom domain maps the REST API, so `domain` implies
    `front_door="api-gateway"`. Chalice's record of the stage is fetched from the stack's
    bucket before and stored there after (berth/deploy/state.py); `records` is the local
    directory of such records (`.chalice/deployed/` by default) and must be the one the
    `chalice` step uses.

    Two regions (docs/regions.md): the primary is deployed with `standby_region` (its bucket
    replicates there, its table gains a replica there); the standby with `stack_role`
    standby (no table of its own). A promoted standby keeps its stack and runs its function
    as the primary (`function_role`). Each region's bucket keeps its own function's record."""
    if domain is not None:
        front_door = "api-gateway"
    target = AwsTarget.of(session)
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    say(f"berth deploy: stage {stage} in account {account}, {region}")
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    existing = stack.outputs(cloudformation, name) if stack.exists(cloudformation, name) else {}
    local_records = records or chalice_step.RECORDS
    record = regions.record_name(stage, region, recorded_region(stage, local_records))
    state = DeployState(
        session.client("s3"), existing.get("BucketName"), stage, local_records, record
    )
    say(f"  {state.pull()}")
    keep_domain(record, domain, drop_domain, state.records)  # with the fetched record
    outputs = stack.apply(
        cloudformation, stage, alarm_topic, role=stack_role, standby_region=standby_region
    )
    state = replace(state, bucket=outputs["BucketName"])
    say(f"  stack berth-{stage}: table {outputs['TableName']}, bucket {outputs['BucketName']}")
    if standby_region:
        table_replica(session.client("dynamodb"), outputs["TableName"], standby_region, say=say)
    if stack_role == "standby":
        outputs["TableStreamArn"] = regions.replica_stream_arn(
            session.client("dynamodb"), outputs["TableName"]
        )
    role = function_role or stack_role
    admin = admin_password.ensure(stage, outputs, target)
    settings = environment(
        outputs,
        stage,
        account=account,
        region=region,
        role=role,
        primary_url=primary_url if role == "standby" else None,
    )
    if event_bus != "default":
        settings["BERTH_EVENT_BUS"] = event_bus
    release = AppRelease(
        stage,
        settings,
        policy(stage, account, region, bus=event_bus),
        domain,
        target,
        drop_domain,
        record=record,
    )
    deployed = chalice(release)
    say(f"  function {deployed.function_name} (policy: berth/deploy/iam_policy.py for {stage})")
    say(f"  {state.push()}")
    log_config.ensure(session.client("lambda"), deployed.function_name)
    if front_door == "function-url":
        url = function_url.ensure(session.client("lambda"), deployed.function_name)
        registry = url.rstrip("/")
    elif domain is not None:
        registry = f"https://{domain.name}"
    else:
        registry = deployed.rest_api_url or ""
    host = registry.split("://", 1)[-1].rstrip("/")
    say(f"Registry: {registry}")
    if domain is not None:
        target_name = deployed.domain_target or "the API's regional domain name"
        say(f"  create the DNS record: {domain.name}. CNAME {target_name}")
        say(
            "  (or a Route 53 alias to it); the certificate must be an ACM certificate for"
            f" {domain.name} in {region}"
        )
    elif front_door != "function-url":
        say(
            "  API Gateway puts the stage in the path; OCI clients need /v2/ at the root of"
            " the host: deploy again with --domain NAME --certificate-arn ARN (docs/deploy.md)."
        )
    _say_admin(admin, target, say)
    if show_admin_password:
        value = session.client("ssm").get_parameter(Name=admin.parameter, WithDecryption=True)
        say(f"  admin password: {value['Parameter']['Value']}")
    say(f"  log in with: docker login {host} --username {ADMIN_USER}")
    service = service_name(stage, account, region)
    say(f"  IAM callers: berth iam login-password --service {service} | docker login {host}")
    say("  --username aws --password-stdin")
    return Deployment(
        stage, outputs, deployed.function_name, registry, deployed.rest_api_url, admin
    )


def _say_admin(
    admin: admin_password.AdminSecret, target: AwsTarget, say: Callable[[str], None]
) -> None:
    user = ADMIN_USER
    if admin.user == "created":
        say(f"  first admin: user {user} created; its password is in SSM {admin.parameter}")
    elif admin.stored == "existing":
        say(f"  first admin: user {user} exists (unchanged); its first password is in SSM")
        say(f"  {admin.parameter} (stale if it was changed since with berth user passwd)")
    else:
        say(f"  first admin: user {user} exists, but SSM {admin.parameter} does not:")
        say("  its password was set some other way; an admin can reset it (berth user passwd)")
        return
    say(f"  read it with: {admin_password.read_command(admin.parameter, target)}")


def deploy_with_standby(
    stage: str,
    session: Any,
    standby_session: Any,
    *,
    chalice: ChaliceDeploy = chalice_deploy,
    say: Callable[[str], None] = print,
    table_replica: Callable[..., None] = regions.add_table_replica,
    records: Path | None = None,
    **options: Any,
) -> tuple[Deployment, Deployment]:
    """The primary in `session`'s region and a standby in `standby_session`'s, in the only
    order that works: the standby's (versioned) bucket before the primary's replication
    names it; the primary's table replica before the standby's function reads it."""
    standby_region = standby_session.region_name
    say(f"berth deploy: standby stack berth-{stage} in {standby_region} first")
    stack.apply(
        standby_session.client("cloudformation"),
        stage,
        options.get("alarm_topic", ""),
        role="standby",
    )
    primary = deploy(
        stage,
        session,
        chalice=chalice,
        say=say,
        standby_region=standby_region,
        table_replica=table_replica,
        records=records,
        **options,
    )
    options.pop("domain", None)  # a custom domain names the primary (docs/regions.md)
    standby = deploy(
        stage,
        standby_session,
        chalice=chalice,
        say=say,
        stack_role="standby",
        primary_url=primary.registry_url,
        records=records,
        **options,
    )
    return primary, standby
