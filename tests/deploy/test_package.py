"""`chalice package` of each stage: the SAM template Chalice would deploy passes cfn-lint and
uses the hand-written policy and the shipped endpoint data. No AWS is reached (the deployment
package is built from the local app and cached under .chalice/deployments/)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from berth.deploy.chalice_step import ROOT, chalice_command
from berth.deploy.policy import policy

STAGES = ("dev", "prod")


def _package(stage: str, out: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "offline",
        "AWS_SECRET_ACCESS_KEY": "offline",
    }
    subprocess.run(
        [chalice_command(), "package", "--stage", stage, str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    template: dict[str, object] = json.loads((out / "sam.json").read_text())
    return template


def test_each_stage_packages_and_lints(tmp_path: Path) -> None:
    from cfnlint.api import lint_file

    # One test for both stages: Chalice caches the deployment package in one shared file.
    for stage in STAGES:
        out = tmp_path / stage
        template = _package(stage, out)
        assert [str(m) for m in lint_file(out / "sam.json")] == []
        resources: dict[str, dict[str, object]] = template["Resources"]  # type: ignore[assignment]
        function: dict[str, object] = resources["APIHandler"]["Properties"]  # type: ignore[assignment]
        assert function["Handler"] == "app.app"  # answers both front doors
        variables = function["Environment"]["Variables"]  # type: ignore[index]
        assert variables["AWS_DATA_PATH"] == "/var/task/chalicelib/awsdata"
        assert variables["BERTH_STAGE"] == stage
        role: dict[str, object] = resources["ApiHandlerRole"]["Properties"]  # type: ignore[assignment]
        (inline,) = role["Policies"]  # type: ignore[misc]
        assert inline["PolicyDocument"] == policy(stage)
