"""`pip install`/`pipx install` of the wheel gives a working `berth`, `berth deploy` included,
with no checkout (issue 18 §5): the wheel is built from a copy of the tracked sources, installed
into a fresh venv in a temporary directory, and its `berth` is run from there.

No network in tests: the wheel goes in with `--no-deps --no-index`, and the fresh venv sees
the dependencies (boto3, chalice, moto...) of this venv through a path file, not its
packages: this venv's editable install of berth is a path hook its own .pth files install,
and a directory added by a path file has its .pth files ignored, so `berth`, `app` and
`chalicelib` can come only from the wheel (asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.motoserver import REGION

ROOT = Path(__file__).resolve().parents[2]


def _sources(target: Path) -> None:
    """The files a checkout has (tracked, and new ones not ignored): no build/ leftovers."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        name = raw.decode()
        if not name or not (ROOT / name).is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes((ROOT / name).read_bytes())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its directory."""
    work = tmp_path_factory.mktemp("wheel")
    source, dist, venv = work / "src", work / "dist", work / "venv"
    _sources(source)
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, source],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("berth-*.whl")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", venv], check=True, capture_output=True
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [*pip, "--python", python, "install", "--no-deps", "--no-index", wheel],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "berth-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _run(venv: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    environment = {k: v for k, v in (env or dict(os.environ)).items() if k != "PYTHONPATH"}
    environment["HOME"] = str(cwd)  # the user's state directory: the temporary one
    environment.pop("XDG_STATE_HOME", None)
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


STAGE_THE_APP = """
import json, os
from berth.deploy.chalice_step import AppRelease, staged_app
from berth.deploy.iam_policy import policy
with staged_app(AppRelease("qa", {"BERTH_TABLE": "t"}, policy("qa"))) as app:
    walked = [os.path.join(d, f) for d, _, files in os.walk(app) for f in files]
    print(json.dumps(sorted(os.path.relpath(path, app) for path in walked)))
"""


def test_the_wheel_has_what_berth_deploy_ships(installed: Path, tmp_path: Path) -> None:
    version = _run(installed, "berth", "--version", cwd=tmp_path)
    assert version.returncode == 0 and "0.1.0" in version.stdout, version
    where = _run(
        installed,
        "python",
        "-c",
        "import app, berth, chalicelib, json;"
        "from berth import project_files as p;"
        "print(json.dumps([app.__file__, berth.__file__, chalicelib.__file__,"
        " p.INSTALLED, p.missing(), str(p.WORK)]))",
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    app, berth, chalicelib, installed_mode, missing, work = json.loads(where.stdout)
    for module in (app, berth, chalicelib):
        assert module.startswith(str(installed)), module  # not the checkout's
    assert installed_mode and missing == []
    assert work == str(tmp_path / ".local" / "state" / "berth" / "chalice")

    # The staging step of `chalice deploy`, in the installed package: the app as Chalice gets
    # it, with the stage's config and policy (the package itself needs PyPI; test_real_chalice).
    staged = _run(installed, "python", "-c", STAGE_THE_APP, cwd=tmp_path)
    assert staged.returncode == 0, staged.stderr
    files = set(json.loads(staged.stdout))
    assert {
        "app.py",
        "requirements.txt",
        ".chalice/config.json",
        ".chalice/policy-qa.json",
        "chalicelib/config.py",
        "chalicelib/awsdata/endpoints.json",
        "chalicelib/web/static/berth.css",
    } <= files
    assert not [f for f in files if f.startswith(("berth/", "tests/")) or "__pycache__" in f]

    printed = _run(installed, "berth", "deploy", "--print-operator-policy", cwd=tmp_path)
    assert printed.stdout == (ROOT / "infra" / "operator-policy.json").read_text()


def test_berth_deploy_dry_run_from_the_wheel(installed: Path, tmp_path: Path, session: Any) -> None:
    """`berth deploy --dry-run` outside any checkout reads the template from the wheel."""
    out = _run(
        installed,
        "berth",
        "deploy",
        "--stage",
        "wheel",
        "--region",
        REGION,
        "--dry-run",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "  stack berth-wheel: would be created (" in out.stdout
    assert "AWS::DynamoDB::Table" in out.stdout
    assert f"  app: the installed package ({installed}" in out.stdout
    assert "  deployment record: none: the function and its API would be created" in out.stdout
