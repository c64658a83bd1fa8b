"""Shared fixtures: one moto account per test process, built from infra/berth.yaml.

The environment is set before anything imports chalicelib, whose settings are read once.
Tests isolate themselves by using a fresh repository name each (`repo` fixture), so the
AWS resources are created once per process rather than once per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# Least privilege: each test fails if the runtime made an AWS call its IAM policy refuses.
from tests.deploy.audit import runtime_call_recorder, runtime_calls_allowed  # noqa: F401

# No wall-clock deadline per example: on a loaded machine (xdist beside the real-client
# tests) a moto round trip took 333 ms and Hypothesis called it a failure. With CI=true
# Hypothesis loads its own `ci` profile, which has no deadline either (and derandomizes).
if not os.environ.get("CI"):
    hypothesis_settings.register_profile("berth", deadline=None)
    hypothesis_settings.load_profile("berth")

STAGE = "test"
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "BERTH_TABLE": f"berth-{STAGE}-meta",
        "BERTH_BUCKET": f"berth-{STAGE}-123456789012-us-east-1",
        "BERTH_TOKEN_KEY": f"alias/berth-{STAGE}-token",
        # Access control is off unless a test turns it on (tests/auth/gate_support.py).
        "BERTH_AUTH": "off",
        # Event tests count their own deliveries; tests of scan on push turn it on.
        "BERTH_SCAN_ON_PUSH": "off",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# The runtime makes every client from one botocore session per process
# (chalicelib/aws_session.py), which copies botocore's built-in handlers when it is created:
# moto's stubber must be among them by then, whichever test happens to create it first.
import moto.core.models  # noqa: E402, F401


@pytest.fixture(scope="session")
def aws() -> Iterator[dict[str, str]]:
    """moto in-process, with the stack from infra/berth.yaml; yields the stack outputs."""
    import boto3
    from moto import mock_aws

    from berth.infra import apply_ignored_settings, create_local_token_key, create_stack
    from berth.moto_s3_spool import stream_multipart_objects
    from berth.motofix import (
        cheap_transactions,
        indexed_queries,
        plain_item_answers,
        serialise_dynamodb,
    )

    serialise_dynamodb()
    stream_multipart_objects()  # as in `berth serve`'s moto child
    cheap_transactions()
    indexed_queries()
    plain_item_answers()  # as in `berth serve`'s moto child
    with mock_aws():
        outputs = create_stack(boto3.client("cloudformation"), STAGE)
        apply_ignored_settings(boto3.client("dynamodb"), outputs)
        create_local_token_key(boto3.client("kms"), outputs)
        assert outputs["TableName"] == os.environ["BERTH_TABLE"]
        assert outputs["BucketName"] == os.environ["BERTH_BUCKET"]
        assert outputs["TokenKey"] == os.environ["BERTH_TOKEN_KEY"]
        # Queue URLs are only known once the stack exists; chalicelib/events reads them lazily.
        os.environ["BERTH_DELIVERY_QUEUE_URL"] = outputs["DeliveryQueueUrl"]
        os.environ["BERTH_DEAD_LETTER_QUEUE_URL"] = outputs["DeadLetterQueueUrl"]
        os.environ["BERTH_SCAN_QUEUE_URL"] = outputs["ScanQueueUrl"]
        os.environ["BERTH_SCAN_DEAD_LETTER_QUEUE_URL"] = outputs["ScanDeadLetterQueueUrl"]
        yield outputs


@pytest.fixture(scope="session")
def client(aws: dict[str, str]) -> Iterator[Any]:
    """A chalice.test.Client on the real app."""
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def repo() -> str:
    """A repository name no other test uses."""
    return f"test/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3(aws: dict[str, str]) -> Any:
    import boto3

    return boto3.client("s3")


@pytest.fixture(autouse=True)
def _pull_counts_held_still(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pull counters flush once a minute by the instance's monotonic clock: held still here,
    from an empty tally, so no test sees a flush it did not cause by moving that clock
    (tests/storage/test_pull_counts.py does) however slowly a loaded machine runs it."""
    from chalicelib.storage import pull_counts

    pull_counts.forget()
    monkeypatch.setattr(pull_counts, "monotonic", lambda: 0.0)
    yield
    pull_counts.forget()
