"""The operator's policy (berth/deploy/operator_policy.py, shipped as infra/operator-policy.json)
allows every AWS call the deploy rehearsal makes: `berth deploy` twice, `--dry-run`,
`berth keys rotate` and `berth destroy`, in this process and in the first-admin child
(Chalice's own calls are recorded the same way in tests/deploy/test_real_chalice.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from berth.deploy.destroy import destroy
from berth.deploy.dry_run import plan
from berth.deploy.keys import rotate
from berth.deploy.operator_policy import TEMPLATE_ACTIONS, operator_policy, render
from berth.deploy.run import deploy
from berth.infra import TEMPLATE
from tests.deploy.motoserver import ACCOUNT, REGION
from tests.deploy.operator_calls import actions, allowed, operator_calls
from tests.deploy.test_deploy import FakeChalice, token_key_for_moto

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "infra" / "operator-policy.json"


def refused(document: dict[str, Any], calls: list[dict[str, Any]]) -> list[str]:
    """Each call's actions the policy does not allow, named with the call."""
    return sorted(
        {
            f"{call['service']}:{call['operation']} needs {action}"
            for call in calls
            for action in actions(call)
            if not allowed(document, action)
        }
    )


def test_the_shipped_policy_is_current() -> None:
    assert SHIPPED.read_text() == render(operator_policy()), (
        "run: .venv/bin/python -m berth.deploy.operator_policy > infra/operator-policy.json"
    )


def test_every_resource_type_of_the_template_has_its_actions() -> None:
    """CloudFormation builds the stack with the operator's credentials: a resource type added
    to infra/berth.yaml needs its actions in TEMPLATE_ACTIONS."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=Loader)
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert types == set(TEMPLATE_ACTIONS)


def test_the_policy_is_scoped_to_the_stage() -> None:
    document = operator_policy("prod", ACCOUNT, REGION)
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert (
        by_sid["Functions"]["Resource"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:berth-prod*"
    )
    assert by_sid["PassFunctionRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
    }
    assert by_sid["AdminPassword"]["Resource"].endswith(":parameter/berth/prod/admin-password")
    assert not any(
        action == "*" or action.endswith(":*")
        for statement in document["Statement"]
        for action in statement["Action"]
    )


def test_every_call_of_the_deploy_rehearsal_is_allowed(
    session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chalice = FakeChalice(session)
    records = tmp_path / "deployed"
    with operator_calls(tmp_path / "calls.jsonl", monkeypatch) as calls:
        plan("op", session, front_door="function-url", records=records, say=lambda _: None)
        deploy("op", session, chalice=chalice.deploy, records=records, say=lambda _: None)
        token_key_for_moto(session, "op")  # the key the stack makes in AWS (test's calls)
        rotate(session.client("kms"), "op")  # berth keys rotate, twice
        rotate(session.client("kms"), "op", force=True, schedule_deletion=True)
        records.mkdir(parents=True, exist_ok=True)
        (records / "op.json").write_text('{"resources": []}')  # as Chalice leaves it
        deploy(
            "op",
            session,
            chalice=chalice.deploy,
            records=records,
            show_admin_password=True,
            say=lambda _: None,
        )
        plan("op", session, front_door="function-url", records=records, say=lambda _: None)
        destroy("op", session, chalice=chalice.delete, records=records, say=lambda _: None)
    made = {f"{c['service']}:{c['operation']}" for c in calls}
    # In this process, and in the first-admin child (its hook wrote to the shared file).
    assert {"cloudformation:CreateStack", "s3:PutObject", "lambda:CreateFunctionUrlConfig"} <= made
    assert {"ssm:PutParameter", "cloudformation:CreateChangeSet", "kms:ListKeys"} <= made
    assert {"kms:CreateKey", "kms:UpdateAlias", "kms:ScheduleKeyDeletion"} <= made
    assert any(c["service"] == "dynamodb" for c in calls), made  # the first admin's writes
    assert "lambda:CreateFunction" not in made  # the stand-in for Chalice is the test's
    assert refused(operator_policy("op", ACCOUNT, REGION), calls) == []
    assert refused(json.loads(SHIPPED.read_text()), calls) == []


def test_the_cli_prints_the_policy(capsys: pytest.CaptureFixture[str]) -> None:
    from berth.cli import main

    assert main(["deploy", "--print-operator-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == operator_policy()
    args = ["deploy", "--print-operator-policy", "--stage", "prod", "--region", REGION]
    assert main([*args, "--account", ACCOUNT]) == 0
    assert json.loads(capsys.readouterr().out) == operator_policy("prod", ACCOUNT, REGION)
