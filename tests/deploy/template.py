"""Read infra/berth.yaml as data (CloudFormation's short tags included), for tests."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from berth.infra import TEMPLATE

# What moto's CloudFormation cannot build (see /work/shared/design.md, section 1).
MOTO_UNSUPPORTED = {
    "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::Lambda::Url",
    "AWS::SecretsManager::Secret",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Subscription",
}


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    data, matches = decode_str(TEMPLATE.read_text())
    assert not matches, matches
    assert data is not None
    return dict(data)


def resources(environment: str) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation creates for Environment=`environment`."""
    out = {}
    for name, resource in template()["Resources"].items():
        condition = resource.get("Condition")
        if condition == "InAws" and environment != "aws":
            continue
        assert condition in (None, "InAws"), f"{name}: unexpected condition {condition}"
        out[name] = dict(resource)
    return out


def of_type(environment: str, kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in resources(environment).items() if r["Type"] == kind}
