"""`berth deploy` / `berth destroy` rehearsed offline against a moto server (CloudFormation,
STS, Lambda, SSM and the stage's table), with a fake at the Chalice boundary; the real
`chalice deploy` is tests/deploy/test_real_chalice.py. Separate moto state from the suite's
`aws` fixture."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from berth.deploy.chalice_step import (
    AppRelease,
    CustomDomain,
    Deployed,
    DomainWouldBeDropped,
    chalice_deploy,
    stage_config,
)
from berth.deploy.destroy import destroy
from berth.deploy.run import deploy
from berth.deploy.service_name import service_name
from berth.deploy.target import AwsTarget
from tests.deploy.deployed_app import login
from tests.deploy.motoserver import ACCOUNT, REGION
from tests.deploy.permissions import allows


class FakeChalice:
    """Stands in for `chalice deploy`: creates the function it would, records the release."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.releases: list[AppRelease] = []
        self.deleted: list[str] = []

    def deploy(self, release: AppRelease) -> Deployed:
        self.releases.append(release)
        name = f"berth-{release.stage}"
        client = self.session.client("lambda")
        if name not in [f["FunctionName"] for f in client.list_functions()["Functions"]]:
            role = self.session.client("iam").create_role(
                RoleName=f"{name}-role", AssumeRolePolicyDocument="{}"
            )["Role"]["Arn"]
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as bundle:
                bundle.writestr("app.py", "app = None\n")
            client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="app.app",
                Code={"ZipFile": code.getvalue()},
                Environment={"Variables": release.environment},
            )
        target = "d-abc.example" if release.domain else None
        return Deployed(name, f"https://abc.execute-api.{REGION}.amazonaws.com/api/", target)

    def delete(self, stage: str, target: AwsTarget) -> None:
        assert target.region == REGION
        self.deleted.append(stage)
        self.session.client("lambda").delete_function(FunctionName=f"berth-{stage}")


@pytest.fixture(autouse=True)
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own `.chalice/deployed/`, never the checkout's."""
    from berth.deploy import chalice_step

    here = tmp_path / "deployed"
    monkeypatch.setattr(chalice_step, "RECORDS", here)
    return here


def token_key_for_moto(session: Any, stage: str) -> None:
    """moto's CloudFormation makes every KMS key symmetric (design.md, section 1): point the
    stage's token alias at an HMAC_256 key, as the aws template makes in AWS (the signing key
    is derived from it since issue 16)."""
    from berth.infra import TOKEN_KEY_SPEC, TOKEN_KEY_USAGE

    kms = session.client("kms")
    key = kms.create_key(KeySpec=TOKEN_KEY_SPEC, KeyUsage=TOKEN_KEY_USAGE)["KeyMetadata"]
    kms.update_alias(AliasName=f"alias/berth-{stage}-token", TargetKeyId=key["KeyId"])


def password_in_ssm(session: Any, stage: str) -> dict[str, Any]:
    answer = session.client("ssm").get_parameter(
        Name=f"/berth/{stage}/admin-password", WithDecryption=True
    )
    parameter: dict[str, Any] = answer["Parameter"]
    return parameter


def test_deploy_then_destroy(session: Any) -> None:
    chalice = FakeChalice(session)
    said: list[str] = []
    done = deploy("prod", session, chalice=chalice.deploy, say=said.append)

    table, bucket = "berth-prod-meta", f"berth-prod-{ACCOUNT}-{REGION}"
    assert done.outputs["TableName"] == table and done.outputs["BucketName"] == bucket
    cloudformation = session.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName="berth-prod")["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["Environment"] == "aws" and parameters["Stage"] == "prod"

    (release,) = chalice.releases
    events = {k: v for k, v in release.environment.items() if "QUEUE" in k or "STREAM" in k}
    assert {k: v for k, v in release.environment.items() if k not in events} == {
        "BERTH_STAGE": "prod",
        "BERTH_TABLE": table,
        "BERTH_BUCKET": bucket,
        "BERTH_TOKEN_KEY": "alias/berth-prod-token",
        "BERTH_S3_ENFORCES_CHECKSUMS": "1",
        "BERTH_SERVICE": service_name("prod", ACCOUNT, REGION),
    }
    # What app.py attaches the event handlers to, and the queues they use (the stack's).
    assert events == {
        "BERTH_TABLE_STREAM_ARN": done.outputs["TableStreamArn"],
        "BERTH_DELIVERY_QUEUE_ARN": done.outputs["DeliveryQueueArn"],
        "BERTH_DELIVERY_QUEUE_URL": done.outputs["DeliveryQueueUrl"],
        "BERTH_DEAD_LETTER_QUEUE_URL": done.outputs["DeadLetterQueueUrl"],
        "BERTH_SCAN_QUEUE_ARN": done.outputs["ScanQueueArn"],
        "BERTH_SCAN_QUEUE_URL": done.outputs["ScanQueueUrl"],
        "BERTH_SCAN_DEAD_LETTER_QUEUE_URL": done.outputs["ScanDeadLetterQueueUrl"],
    }
    # Unique per registry (issue 11, D6): another stage, account or region has another name.
    others = {service_name("qa", ACCOUNT, REGION), service_name("prod", "210987654321", REGION)}
    others.add(service_name("prod", ACCOUNT, "eu-central-1"))
    assert release.environment["BERTH_SERVICE"] not in others and len(others) == 3
    resources = {s["Sid"]: s["Resource"] for s in release.policy["Statement"]}
    assert resources["MetadataTable"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    assert resources["BlobBucket"] == f"arn:aws:s3:::{bucket}"

    lambda_client = session.client("lambda")
    url = lambda_client.get_function_url_config(FunctionName="berth-prod")
    assert url["AuthType"] == "NONE"
    assert done.registry_url == url["FunctionUrl"].rstrip("/")
    policy = json.loads(lambda_client.get_policy(FunctionName="berth-prod")["Policy"])
    actions = sorted(s["Action"] for s in policy["Statement"])
    assert actions == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
    assert f"Registry: {done.registry_url}" in said

    # The first admin: created, its password in SSM (SecureString), never printed, and it
    # logs in through /token of the function as deployed (its environment read back).
    assert (done.admin.user, done.admin.stored) == ("created", "created")
    stored = password_in_ssm(session, "prod")
    assert stored["Type"] == "SecureString" and stored["Version"] == 1
    password = stored["Value"]
    assert not any(password in line for line in said)
    parameter_arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/berth/prod/admin-password"
    for action in ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"):
        assert not allows(release.policy, (action, parameter_arn))  # the function cannot
    read = (
        "aws ssm get-parameter --name /berth/prod/admin-password --with-decryption"
        f" --query Parameter.Value --output text --region {REGION}"
    )
    assert any(read in line for line in said), said
    token_key_for_moto(session, "prod")
    host = done.registry_url.split("://", 1)[1]
    answer = login(session, "berth-prod", password, host, policy=release.policy)
    assert answer["challenge"] == 401
    assert f'realm="https://{host}/token"' in answer["realm"], answer
    assert f'service="{service_name("prod", ACCOUNT, REGION)}"' in answer["realm"], answer
    assert answer["token"] == 200, answer["token_body"]
    assert (answer["wrong"], answer["catalog"]) == (401, 200)
    # The signing key is derived (GenerateMac), not a KMS Sign per token (issue 16).
    assert "kms:GenerateMac" in answer["calls"] and "dynamodb:Query" in answer["calls"]
    assert "kms:Sign" not in answer["calls"]
    assert answer["refused"] == []  # the deployed policy allows what the login took

    # Deploying again updates in place: same stack, same URL, no duplicate permission, the
    # same admin and password (nothing rotated behind the operator's back).
    said.clear()
    again = deploy(
        "prod", session, chalice=chalice.deploy, show_admin_password=True, say=said.append
    )
    assert again.registry_url == done.registry_url and len(chalice.releases) == 2
    assert f"  admin password: {password}" in said  # printed only when asked
    assert (again.admin.user, again.admin.stored) == ("existing", "existing")
    assert password_in_ssm(session, "prod")["Version"] == 1
    assert any(read in line for line in said)
    assert login(session, "berth-prod", password, host, policy=release.policy)["token"] == 200

    said.clear()
    kept = destroy("prod", session, chalice=chalice.delete, say=said.append)
    assert chalice.deleted == ["prod"]
    parameter = "/berth/prod/admin-password"
    assert kept == {"TableName": table, "BucketName": bucket, "AdminPasswordParameter": parameter}
    assert any(table in line for line in said) and any(bucket in line for line in said)
    assert any(f"aws ssm delete-parameter --name {parameter}" in line for line in said)
    assert password_in_ssm(session, "prod")["Value"] == password  # kept, as it said
    remaining = [
        s["StackStatus"]
        for s in cloudformation.list_stacks()["StackSummaries"]
        if s["StackName"] == "berth-prod"
    ]
    assert set(remaining) <= {"DELETE_COMPLETE"}


def test_destroy_schedules_the_stages_rotated_keys_for_deletion(session: Any) -> None:
    """Keys `berth keys rotate` made outlive the stack; destroy retires them (and only them)."""
    from berth.deploy.destroy import retire_rotated_keys
    from berth.deploy.keys import STAGE_TAG

    kms = session.client("kms")

    def signing_key(stage: str) -> str:
        key: str = kms.create_key(
            KeySpec="ECC_NIST_P256",
            KeyUsage="SIGN_VERIFY",
            Tags=[{"TagKey": STAGE_TAG, "TagValue": stage}],
        )["KeyMetadata"]["KeyId"]
        return key

    rotated, older, other_stage = signing_key("gone"), signing_key("gone"), signing_key("kept")
    untagged = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.create_alias(AliasName="alias/berth-gone-token-previous", TargetKeyId=older)
    said: list[str] = []
    assert sorted(retire_rotated_keys(kms, "gone", said.append)) == sorted([rotated, older])

    def state(key: str) -> str:
        found: str = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
        return found

    assert state(rotated) == state(older) == "PendingDeletion"
    assert state(other_stage) == state(untagged["KeyId"]) == "Enabled"
    aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert "alias/berth-gone-token-previous" not in aliases
    assert any("2 rotated signing key(s) scheduled for deletion" in line for line in said)
    assert retire_rotated_keys(kms, "gone", said.append) == []  # twice: nothing left to do


def test_api_gateway_front_door_says_to_map_a_custom_domain(session: Any) -> None:
    said: list[str] = []
    done = deploy(
        "dev",
        session,
        chalice=FakeChalice(session).deploy,
        front_door="api-gateway",
        say=said.append,
    )
    assert done.registry_url.endswith("/api/")
    assert any("--domain NAME --certificate-arn ARN" in line for line in said)


def test_a_custom_domain_is_the_registry_url(session: Any) -> None:
    chalice = FakeChalice(session)
    said: list[str] = []
    domain = CustomDomain("registry.example.com", "arn:aws:acm:eu-west-1:123:certificate/x")
    done = deploy("dev", session, chalice=chalice.deploy, domain=domain, say=said.append)
    assert chalice.releases[-1].domain == domain
    assert done.registry_url == "https://registry.example.com"
    assert "Registry: https://registry.example.com" in said
    assert "  create the DNS record: registry.example.com. CNAME d-abc.example" in said
    lambda_client = session.client("lambda")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function_url_config(FunctionName="berth-dev")


def test_the_admin_password_is_reused_never_replaced(session: Any) -> None:
    """A parameter without its user (a first deploy stopped between the two, or a table made
    again): the new admin gets the stored password; a user without parameter is left alone."""
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/berth/qa/admin-password", Value="kept-pw-1", Type="SecureString")
    chalice = FakeChalice(session)
    done = deploy("qa", session, chalice=chalice.deploy, say=lambda _: None)
    assert (done.admin.user, done.admin.stored) == ("created", "existing")
    assert password_in_ssm(session, "qa")["Value"] == "kept-pw-1"
    token_key_for_moto(session, "qa")
    host = done.registry_url.split("://", 1)[1]
    policy = chalice.releases[-1].policy
    assert login(session, "berth-qa", "kept-pw-1", host, policy=policy)["token"] == 200

    ssm.delete_parameter(Name="/berth/qa/admin-password")
    said: list[str] = []
    again = deploy("qa", session, chalice=chalice.deploy, say=said.append)
    assert (again.admin.user, again.admin.stored) == ("existing", "missing")
    assert any("berth user passwd" in line for line in said)
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/berth/qa/admin-password")  # not made up for a user it lacks
    said.clear()
    destroy("qa", session, chalice=chalice.delete, say=said.append)
    assert not any("ssm" in line for line in said)


def test_stage_config_adds_environment_and_policy_to_the_stage() -> None:
    config = {"stages": {"dev": {"environment_variables": {"BERTH_STAGE": "dev"}}}}
    release = AppRelease("qa", {"BERTH_TABLE": "t"}, {})
    out = stage_config(config, release)
    assert out["stages"]["qa"] == {
        "autogen_policy": False,
        "iam_policy_file": "policy-qa.json",
        "environment_variables": {"BERTH_TABLE": "t"},
    }
    assert "qa" not in config["stages"]  # the committed config is not touched

    domain = CustomDomain("registry.example.com", "arn:aws:acm:eu-west-1:1:certificate/c")
    out = stage_config(config, AppRelease("dev", {}, {}, domain))
    assert out["stages"]["dev"]["api_gateway_endpoint_type"] == "REGIONAL"
    assert out["stages"]["dev"]["api_gateway_custom_domain"] == {
        "domain_name": "registry.example.com",
        "certificate_arn": "arn:aws:acm:eu-west-1:1:certificate/c",
        "url_prefix": "/",  # Chalice's root base path mapping: /v2/ at the root of the host
    }


def test_a_deploy_without_the_stage_domain_refuses_to_drop_it(tmp_path: Path) -> None:
    """Chalice deletes a custom domain the stage no longer names: a deploy that forgot
    --domain would take the registry off its address. It stops before Chalice runs."""
    record = {
        "resources": [
            {
                "name": "api_gateway_custom_domain",
                "resource_type": "domain_name",
                "domain_name": "registry.example.com",
            }
        ]
    }
    (tmp_path / "prod.json").write_text(json.dumps(record))
    with pytest.raises(DomainWouldBeDropped, match=r"--domain registry\.example\.com"):
        chalice_deploy(AppRelease("prod", {}, {}), records=tmp_path, packages=tmp_path / "p")
    other = CustomDomain("other.example.com", "arn:c")
    with pytest.raises(DomainWouldBeDropped):
        chalice_deploy(AppRelease("prod", {}, {}, other), records=tmp_path, packages=tmp_path)


def test_the_cli_refuses_to_drop_a_domain_before_touching_aws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from berth.cli import main
    from berth.deploy import chalice_step

    record = {"resources": [{"resource_type": "domain_name", "domain_name": "r.example.com"}]}
    (tmp_path / "prod.json").write_text(json.dumps(record))
    monkeypatch.setattr(chalice_step, "RECORDS", tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # any AWS call would fail
    assert main(["deploy", "--stage", "prod"]) == 2
    assert "pass --domain r.example.com" in capsys.readouterr().err


def test_cli_has_deploy_and_destroy() -> None:
    from berth.cli import _parser

    args = _parser().parse_args(["deploy", "--stage", "prod", "--front-door", "api-gateway"])
    assert (args.stage, args.front_door) == ("prod", "api-gateway")
    args = _parser().parse_args(["destroy", "--stage", "prod", "--yes"])
    assert args.yes and args.stage == "prod"
    args = _parser().parse_args(
        ["deploy", "--stage", "p", "--domain", "r.example.com", "--certificate-arn", "arn:c"]
    )
    assert (args.domain, args.certificate_arn, args.front_door) == ("r.example.com", "arn:c", None)


def test_cli_refuses_a_domain_without_its_certificate_or_on_the_function_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from berth.cli import main

    assert main(["deploy", "--stage", "p", "--domain", "r.example.com"]) == 2
    assert "--certificate-arn" in capsys.readouterr().err
    both = ["--domain", "r.example.com", "--certificate-arn", "arn:c"]
    assert main(["deploy", "--stage", "p", "--front-door", "function-url", *both]) == 2
    assert "REST API" in capsys.readouterr().err


def test_deploy_to_a_named_event_bus(session: Any) -> None:
    """`berth deploy --event-bus ci-bus`: the function puts events there, and may only there."""
    chalice = FakeChalice(session)
    deploy("bus", session, chalice=chalice.deploy, event_bus="ci-bus", say=lambda _: None)
    (release,) = chalice.releases
    assert release.environment["BERTH_EVENT_BUS"] == "ci-bus"
    (events,) = [s for s in release.policy["Statement"] if s["Sid"] == "Events"]
    assert events["Resource"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/ci-bus"


def test_dry_run_says_what_would_change_and_changes_nothing(session: Any) -> None:
    """`berth deploy --dry-run` (issue 18 §5): before the first deploy everything would be
    created and nothing is; after it, the stack's change set, the function's settings that
    differ, and what is kept."""
    from berth.deploy.dry_run import plan

    said: list[str] = []
    plan("dry", session, front_door="function-url", say=said.append)
    assert said[0].endswith("(nothing changes)")
    assert said[1].startswith("  stack berth-dry: would be created (")
    assert "AWS::DynamoDB::Table" in said[1]
    assert "  function berth-dry: would be created" in said
    assert "  function URL: would be created" in said
    assert "  first admin: would be created" in said
    cloudformation = session.client("cloudformation")
    assert not any(
        s["StackName"] == "berth-dry" and s["StackStatus"] != "DELETE_COMPLETE"
        for s in cloudformation.list_stacks()["StackSummaries"]
    )

    deploy("dry", session, chalice=FakeChalice(session).deploy, say=lambda _: None)
    said.clear()
    plan("dry", session, front_door="function-url", event_bus="ops", say=said.append)
    stack_lines = [line for line in said if line.startswith("  stack berth-dry: ")]
    assert stack_lines and not any("would be created" in line for line in stack_lines)
    assert (
        "  function berth-dry: code deployed again; settings that change: BERTH_EVENT_BUS" in said
    )
    assert "  function URL: kept" in said
    assert "  first admin: kept (SSM /berth/dry/admin-password)" in said
    assert cloudformation.list_change_sets(StackName="berth-dry")["Summaries"] == []


def test_the_cli_dry_run(session: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from berth import cli

    status = cli.main(["deploy", "--stage", "cli", "--region", REGION, "--dry-run"])
    out = capsys.readouterr().out
    assert status == 0 and "stack berth-cli: would be created" in out
    assert "berth-cli" not in [
        f["FunctionName"] for f in session.client("lambda").list_functions()["Functions"]
    ]


def test_deploy_sets_json_logs_with_lambdas_own_lines_at_warn(session: Any) -> None:
    """Lambda's START/END/REPORT lines are dropped (issue 16: log bytes). moto accepts and
    ignores `LoggingConfig`, so the call itself is what is checked."""
    from berth.deploy.log_config import LOGGING_CONFIG

    seen: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    session.events.register("provide-client-params.lambda.UpdateFunctionConfiguration", capture)
    deploy("logs", session, chalice=FakeChalice(session).deploy, say=lambda _: None)
    assert seen == [{"FunctionName": "berth-logs", "LoggingConfig": LOGGING_CONFIG}]
    assert LOGGING_CONFIG["SystemLogLevel"] == "WARN" and LOGGING_CONFIG["LogFormat"] == "JSON"
