"""Build Berth's tables and bucket in moto from the CloudFormation template, and point the
runtime at them through the same environment variables Lambda gets."""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from berth.infra import (
    apply_ignored_settings,
    create_local_token_key,
    create_stack,
    runtime_environment,
)

REGION = "us-east-1"
# moto accepts any credentials; fixed fake ones keep real ones from being picked up.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "berth-local",
    "AWS_SECRET_ACCESS_KEY": "berth-local",
    "AWS_SESSION_TOKEN": "berth-local",
}


def aws_environment(endpoint: str) -> dict[str, str]:
    """Credentials, region and endpoint for every AWS client of this process."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def provision(endpoint: str, stage: str) -> dict[str, str]:
    """Create the stack in moto at `endpoint`; return the runtime's environment variables."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=REGION,
    )
    outputs = create_stack(session.client("cloudformation", endpoint_url=endpoint), stage)
    apply_ignored_settings(session.client("dynamodb", endpoint_url=endpoint), outputs)
    create_local_token_key(session.client("kms", endpoint_url=endpoint), outputs)
    return {**aws_environment(endpoint), **runtime_environment(outputs)}


def apply(environment: dict[str, str], target: MutableMapping[str, str] = os.environ) -> None:
    """Set `environment` (before chalicelib reads its settings), dropping any AWS profile."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE"):
        target.pop(name, None)
    target.update(environment)
