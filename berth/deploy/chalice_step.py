"""The Chalice half of a deploy: `chalice deploy`/`chalice delete` in a staging copy.

The repository's `.chalice/config.json` stays as committed: the stage's environment (the
stack's outputs) and its policy (rendered for the account and region) are written into a
staging copy of the app, and Chalice's record of what it deployed (`deployed/<stage>.json`,
needed to update or delete later) is copied back to `.chalice/deployed/`.

`berth deploy` takes this step as a parameter; tests pass a fake (nothing here reaches AWS
in tests).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ("app.py", "chalicelib", "requirements.txt")


@dataclass(frozen=True, slots=True)
class AppRelease:
    stage: str
    environment: dict[str, str]
    policy: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Deployed:
    function_name: str
    rest_api_url: str | None


ChaliceDeploy = Callable[[AppRelease], Deployed]
ChaliceDelete = Callable[[str], None]


def stage_config(config: dict[str, Any], release: AppRelease) -> dict[str, Any]:
    """`config` with the release's environment and policy file in its stage."""
    out: dict[str, Any] = json.loads(json.dumps(config))
    stage = out["stages"].setdefault(release.stage, {})
    stage["autogen_policy"] = False
    stage["iam_policy_file"] = f"policy-{release.stage}.json"
    stage["environment_variables"] = {
        **stage.get("environment_variables", {}),
        **release.environment,
    }
    return out


def _stage_dir(stage: str, target: Path) -> Path:
    for name in BUNDLE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / name)
    chalice_dir = target / ".chalice"
    chalice_dir.mkdir()
    deployed = ROOT / ".chalice" / "deployed" / f"{stage}.json"
    if deployed.exists():
        (chalice_dir / "deployed").mkdir()
        shutil.copy2(deployed, chalice_dir / "deployed" / deployed.name)
    return chalice_dir


def _keep_record(stage: str, chalice_dir: Path) -> dict[str, Any]:
    record = chalice_dir / "deployed" / f"{stage}.json"
    keep = ROOT / ".chalice" / "deployed" / f"{stage}.json"
    if not record.exists():
        keep.unlink(missing_ok=True)
        return {}
    keep.parent.mkdir(exist_ok=True)
    shutil.copy2(record, keep)
    data: dict[str, Any] = json.loads(record.read_text())
    return data


def chalice_command() -> str:
    """The `chalice` script of this environment (chalice.cli has no `__main__`)."""
    beside = Path(sys.executable).with_name("chalice")
    return str(beside) if beside.exists() else "chalice"


def _chalice(args: list[str], cwd: Path) -> None:
    subprocess.run([chalice_command(), *args], cwd=cwd, check=True)


def chalice_deploy(release: AppRelease) -> Deployed:
    """Run `chalice deploy --stage <stage>` on a staging copy of the app."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    with tempfile.TemporaryDirectory(prefix="berth-deploy-") as tmp:
        chalice_dir = _stage_dir(release.stage, Path(tmp))
        (chalice_dir / "config.json").write_text(
            json.dumps(stage_config(config, release), indent=2)
        )
        policy_name = f"policy-{release.stage}.json"
        (chalice_dir / policy_name).write_text(json.dumps(release.policy, indent=2))
        _chalice(["deploy", "--stage", release.stage], Path(tmp))
        record = _keep_record(release.stage, chalice_dir)
    resources = {r["name"]: r for r in record.get("resources", [])}
    api = resources.get("rest_api", {})
    handler = resources.get("api_handler", {})
    return Deployed(
        function_name=str(handler.get("lambda_arn", f"berth-{release.stage}")).split(":")[-1],
        rest_api_url=api.get("rest_api_url"),
    )


def chalice_delete(stage: str) -> None:
    """Run `chalice delete --stage <stage>` with the recorded deployment."""
    with tempfile.TemporaryDirectory(prefix="berth-destroy-") as tmp:
        chalice_dir = _stage_dir(stage, Path(tmp))
        shutil.copy2(ROOT / ".chalice" / "config.json", chalice_dir / "config.json")
        _chalice(["delete", "--stage", stage], Path(tmp))
        _keep_record(stage, chalice_dir)
