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


def parameters(environment: str, **given: str) -> dict[str, str]:
    """The stack's parameters: the template's defaults, `Environment`, and `given`."""
    declared = template()["Parameters"]
    unknown = set(given) - set(declared)
    assert not unknown, f"no such parameters: {unknown}"
    values = {name: str(p.get("Default", "")) for name, p in declared.items()}
    return {**values, "Environment": environment, **given}


def conditions(environment: str, **given: str) -> dict[str, bool]:
    """Every condition of the template, evaluated as CloudFormation would."""
    values = parameters(environment, **given)
    found: dict[str, bool] = {}
    declared = template()["Conditions"]

    def evaluate(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Ref":
                return values[arg]
            if fn == "Condition":
                return condition(arg)
            if fn == "Fn::Equals":
                return evaluate(arg[0]) == evaluate(arg[1])
            if fn == "Fn::Not":
                return not evaluate(arg[0])
            if fn == "Fn::And":
                return all(evaluate(a) for a in arg)
            if fn == "Fn::Or":
                return any(evaluate(a) for a in arg)
        return node

    def condition(name: str) -> bool:
        if name not in found:
            found[name] = bool(evaluate(declared[name]))
        return found[name]

    return {name: condition(name) for name in declared}


def resolve(node: Any, holds: dict[str, bool]) -> Any:
    """`node` with every Fn::If decided and AWS::NoValue dropped."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, then, otherwise = node["Fn::If"]
            return resolve(then if holds[name] else otherwise, holds)
        out = {k: resolve(v, holds) for k, v in node.items()}
        return {k: v for k, v in out.items() if v != {"Ref": "AWS::NoValue"}}
    if isinstance(node, list):
        return [resolve(v, holds) for v in node if v != {"Ref": "AWS::NoValue"}]
    return node


def resources(environment: str, **given: str) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation creates for Environment=`environment` and the `given`
    parameters (the rest at their defaults), with every Fn::If decided."""
    holds = conditions(environment, **given)
    out = {}
    for name, resource in template()["Resources"].items():
        condition = resource.get("Condition")
        if condition is not None and not holds[condition]:
            continue
        out[name] = resolve(dict(resource), holds)
    return out


def outputs(environment: str, **given: str) -> dict[str, Any]:
    """The stack's outputs for those parameters."""
    holds = conditions(environment, **given)
    return {
        name: resolve(output, holds)
        for name, output in template()["Outputs"].items()
        if output.get("Condition") is None or holds[output["Condition"]]
    }


def of_type(environment: str, kind: str, **given: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in resources(environment, **given).items() if r["Type"] == kind}
