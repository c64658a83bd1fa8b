"""`berth robot rotate`: a new secret printed once, the old one refused at once, the rotation
audited, and a revoked robot not brought back by a rotation (issue 18 §4)."""

from __future__ import annotations

import json

import pytest

from berth.commands import common
from chalicelib.auth import principals
from tests.auth.gate_support import unique
from tests.cli.test_access_commands import Run, berth  # noqa: F401


def test_rotate_a_robot_secret(berth: Run, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    name = unique("r")
    status, out, _ = berth(capsys, "robot", "add", name, "--grant", "ci/*=push", "--json")
    old = json.loads(out)["secret"]
    assert status == 0

    status, out, _ = berth(capsys, "robot", "rotate", f"robot${name}", "--json")
    assert status == 0
    answer = json.loads(out)
    new = answer["secret"]
    assert new != old and answer["login"] == f"robot${name}"
    assert principals.authenticate(f"robot${name}", new) is not None
    assert principals.authenticate(f"robot${name}", old) is None
    stored = principals.load("robot", name)
    assert stored is not None and stored.principal.grants[0].pattern == "ci/*"
    status, out, _ = berth(capsys, "robot", "rotate", name)
    assert status == 0 and "(shown once; the old secret no longer works)" in out
    assert new not in out

    status, out, _ = berth(capsys, "audit", "--principal", f"robot:{name}", "--json")
    actions = [e["action"] for e in json.loads(out)["events"]]
    assert actions[:3] == ["robot.rotate", "robot.rotate", "robot.create"]
    assert new not in out and old not in out

    assert berth(capsys, "robot", "revoke", name)[0] == 0
    status, _, err = berth(capsys, "robot", "rotate", name)
    assert status == common.EXIT_CONFLICT and "was revoked" in err
    assert berth(capsys, "robot", "rotate", unique("nobody"))[0] == common.EXIT_NOT_FOUND
