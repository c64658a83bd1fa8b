"""The child processes of a deploy (Chalice, the first admin) reach the account and region
of the deploy's own session."""

from __future__ import annotations

import pytest

from berth.deploy.admin_password import read_command
from berth.deploy.target import AwsTarget


def test_a_profile_wins_over_keys_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    env = AwsTarget(region="eu-west-1", profile="ops").environment()
    assert (env["AWS_PROFILE"], env["AWS_DEFAULT_REGION"], env["AWS_REGION"]) == (
        "ops",
        "eu-west-1",
        "eu-west-1",
    )
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_SECRET_ACCESS_KEY" not in env


def test_without_a_profile_the_usual_chain_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    env = AwsTarget(region="us-west-2").environment()
    assert env["AWS_ACCESS_KEY_ID"] == "from-env" and "AWS_PROFILE" not in env
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"  # the rehearsal's moto


def test_of_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert AwsTarget.of(boto3.session.Session(region_name="eu-west-1")) == AwsTarget("eu-west-1")


def test_the_read_command_names_profile_and_region() -> None:
    command = read_command("/berth/prod/admin-password", AwsTarget("eu-west-1", "ops"))
    assert command == (
        "aws ssm get-parameter --name /berth/prod/admin-password --with-decryption"
        " --query Parameter.Value --output text --region eu-west-1 --profile ops"
    )
