"""`berth deploy` / `berth destroy` rehearsed offline: moto for CloudFormation, STS and
Lambda, a fake at the Chalice boundary. Separate moto state from the suite's `aws` fixture."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from berth.deploy.chalice_step import AppRelease, Deployed, stage_config
from berth.deploy.destroy import destroy
from berth.deploy.run import deploy

ACCOUNT = "123456789012"
REGION = "eu-west-1"


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
        return Deployed(name, f"https://abc.execute-api.{REGION}.amazonaws.com/api/")

    def delete(self, stage: str) -> None:
        self.deleted.append(stage)
        self.session.client("lambda").delete_function(FunctionName=f"berth-{stage}")


@pytest.fixture
def session() -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


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
    assert release.environment == {
        "BERTH_STAGE": "prod",
        "BERTH_TABLE": table,
        "BERTH_BUCKET": bucket,
        "BERTH_TOKEN_KEY": "alias/berth-prod-token",
    }
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

    # Deploying again updates in place: same stack, same URL, no duplicate permission.
    again = deploy("prod", session, chalice=chalice.deploy, say=said.append)
    assert again.registry_url == done.registry_url and len(chalice.releases) == 2

    said.clear()
    kept = destroy("prod", session, chalice=chalice.delete, say=said.append)
    assert chalice.deleted == ["prod"]
    assert kept == {"TableName": table, "BucketName": bucket}
    assert any(table in line for line in said) and any(bucket in line for line in said)
    remaining = [
        s["StackStatus"]
        for s in cloudformation.list_stacks()["StackSummaries"]
        if s["StackName"] == "berth-prod"
    ]
    assert set(remaining) <= {"DELETE_COMPLETE"}


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
    assert any("custom domain" in line for line in said)


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


def test_cli_has_deploy_and_destroy() -> None:
    from berth.cli import _parser

    args = _parser().parse_args(["deploy", "--stage", "prod", "--front-door", "api-gateway"])
    assert (args.stage, args.front_door) == ("prod", "api-gateway")
    args = _parser().parse_args(["destroy", "--stage", "prod", "--yes"])
    assert args.yes and args.stage == "prod"
