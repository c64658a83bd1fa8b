"""The Chalice half of a deploy: `chalice deploy`/`chalice delete` in a staging copy.

The repository's `.chalice/config.json` stays as committed: the stage's environment (the
stack's outputs), its policy (rendered for the account and region) and its custom domain are
written into a staging copy of the app, and Chalice's record of what it deployed
(`deployed/<stage>.json`, needed to update or delete later) is copied back to `records`
(`.chalice/deployed/` unless a test says otherwise).

`chalice` runs as a subprocess in the deploy's profile and region (berth/deploy/target.py).
Tests run it for real against a moto server (tests/deploy/test_real_chalice.py) and pass a
fake at this boundary where only the sequence around it is under test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from berth.deploy.bytecode import compile_bundle
from berth.deploy.target import AwsTarget
from berth.project_files import APP as ROOT
from berth.project_files import CHALICE_DIR, REQUIREMENTS, WORK

RECORDS = WORK / "deployed"
# Chalice's deployment packages, named by a hash of the requirements and the app's code:
# reused while neither changes (building one downloads Lambda's wheels, about 25 s here).
PACKAGES = WORK / "deployments"
# What the function is made of (from the checkout, or from site-packages and the wheel's copy).
BUNDLE = {
    "app.py": ROOT / "app.py",
    "chalicelib": ROOT / "chalicelib",
    "requirements.txt": REQUIREMENTS,
}


@dataclass(frozen=True, slots=True)
class CustomDomain:
    """A domain of the operator's, with an ACM certificate in the deploy's region, mapped at
    the root of the REST API (OCI clients need `/v2/` at the root of the host)."""

    name: str
    certificate_arn: str


@dataclass(frozen=True, slots=True)
class AppRelease:
    stage: str
    environment: dict[str, str]
    policy: dict[str, Any]
    domain: CustomDomain | None = None
    target: AwsTarget = field(default_factory=AwsTarget)
    # Chalice deletes a custom domain its stage no longer names: only on purpose.
    drop_domain: bool = False
    # The name Chalice's record is kept under in `records` (default: the stage); a second
    # region's function has its own (berth/deploy/regions.py: record_name).
    record: str | None = None

    @property
    def record_name(self) -> str:
        return self.record or self.stage


class DomainWouldBeDropped(RuntimeError):
    """The stage has a custom domain that this deploy does not name."""


@dataclass(frozen=True, slots=True)
class Deployed:
    function_name: str
    rest_api_url: str | None
    # The name the custom domain's DNS record points at (API Gateway's regional domain).
    domain_target: str | None = None


ChaliceDeploy = Callable[[AppRelease], Deployed]
ChaliceDelete = Callable[[str, AwsTarget], None]


def stage_config(config: dict[str, Any], release: AppRelease) -> dict[str, Any]:
    """`config` with the release's environment, policy file and custom domain in its stage."""
    out: dict[str, Any] = json.loads(json.dumps(config))
    stage = out["stages"].setdefault(release.stage, {})
    stage["autogen_policy"] = False
    stage["iam_policy_file"] = f"policy-{release.stage}.json"
    stage["environment_variables"] = {
        **stage.get("environment_variables", {}),
        **release.environment,
    }
    if release.domain is not None:
        # REGIONAL: the certificate lives in the API's region (an EDGE API would need it in
        # us-east-1). url_prefix "/" is Chalice's spelling of the root base path mapping.
        stage["api_gateway_endpoint_type"] = "REGIONAL"
        stage["api_gateway_custom_domain"] = {
            "domain_name": release.domain.name,
            "certificate_arn": release.domain.certificate_arn,
            "url_prefix": "/",
        }
    return out


def _copy_app(stage: str, target: Path, records: Path, record: str | None = None) -> Path:
    for name, source in BUNDLE.items():
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / name)
    chalice_dir = target / ".chalice"
    chalice_dir.mkdir()
    deployed = records / f"{record or stage}.json"
    if deployed.exists():
        (chalice_dir / "deployed").mkdir()
        shutil.copy2(deployed, chalice_dir / "deployed" / f"{stage}.json")
    return chalice_dir


def _link(source: Path, target: Path) -> None:
    """`target` becomes `source`'s content at once (a hard link where possible); Chalice
    replaces a package by renaming, so a linked one is never written through."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        os.link(source, partial)
    except OSError:
        shutil.copy2(source, partial)
    os.replace(partial, target)


def _share_packages(source: Path, target: Path) -> None:
    """Every finished package of `source` not yet in `target`."""
    if not source.is_dir():
        return
    target.mkdir(parents=True, exist_ok=True)
    for package in source.glob("*.zip"):
        if not (target / package.name).exists():
            _link(package, target / package.name)


@contextmanager
def staged_app(
    release: AppRelease, records: Path = RECORDS, packages: Path = PACKAGES
) -> Iterator[Path]:
    """A temporary copy of the app whose stage carries the release; yields its directory."""
    config = json.loads((CHALICE_DIR / "config.json").read_text())
    with tempfile.TemporaryDirectory(prefix="berth-deploy-") as tmp:
        chalice_dir = _copy_app(release.stage, Path(tmp), records, release.record_name)
        _share_packages(packages, chalice_dir / "deployments")
        (chalice_dir / "config.json").write_text(
            json.dumps(stage_config(config, release), indent=2)
        )
        policy_name = f"policy-{release.stage}.json"
        (chalice_dir / policy_name).write_text(json.dumps(release.policy, indent=2))
        yield Path(tmp)
        _share_packages(chalice_dir / "deployments", packages)


def _keep_record(
    stage: str, chalice_dir: Path, records: Path, name: str | None = None
) -> dict[str, Any]:
    record = chalice_dir / "deployed" / f"{stage}.json"
    keep = records / f"{name or stage}.json"
    if not record.exists():
        keep.unlink(missing_ok=True)
        return {}
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(record, keep)
    data: dict[str, Any] = json.loads(record.read_text())
    return data


def chalice_command() -> str:
    """The `chalice` script of this environment (chalice.cli has no `__main__`)."""
    beside = Path(sys.executable).with_name("chalice")
    return str(beside) if beside.exists() else "chalice"


def _chalice(args: list[str], cwd: Path, target: AwsTarget) -> None:
    subprocess.run([chalice_command(), *args], cwd=cwd, check=True, env=target.environment())


def chalice_package(release: AppRelease, out: Path, packages: Path = PACKAGES) -> None:
    """`chalice package --stage <stage> <out>` of the release: the SAM template it would deploy."""
    with staged_app(release, packages=packages) as app:
        compile_bundle(app)
        subprocess.run(
            [chalice_command(), "package", "--stage", release.stage, str(out)],
            cwd=app,
            check=True,
            capture_output=True,
            env=release.target.environment(),
        )


def chalice_deploy(
    release: AppRelease, records: Path = RECORDS, packages: Path = PACKAGES
) -> Deployed:
    """Run `chalice deploy --stage <stage>` on a staging copy of the app."""
    keep_domain(release.stage, release.domain, release.drop_domain, records)
    with staged_app(release, records, packages) as app:
        compile_bundle(app)  # what Chalice bundles (the staging copy itself is sources only)
        _chalice(["deploy", "--stage", release.stage], app, release.target)
        record = _keep_record(release.stage, app / ".chalice", records, release.record_name)
    return deployed_from(record, release.stage)


def recorded_region(stage: str, records: Path = RECORDS) -> str | None:
    """The region of the stage's first-deployed function, from its record (None: never
    deployed from here)."""
    record = records / f"{stage}.json"
    if not record.exists():
        return None
    for resource in json.loads(record.read_text()).get("resources", []):
        arn = str(resource.get("lambda_arn", ""))
        if arn.startswith("arn:"):
            return arn.split(":")[3]
    return None


def recorded_domain(stage: str, records: Path = RECORDS) -> str | None:
    """The custom domain of the stage's last deployment, if it had one."""
    record = records / f"{stage}.json"
    if not record.exists():
        return None
    for resource in json.loads(record.read_text()).get("resources", []):
        if resource.get("resource_type") == "domain_name":
            return str(resource.get("domain_name"))
    return None


def keep_domain(
    stage: str, domain: CustomDomain | None, drop_domain: bool, records: Path | None = None
) -> None:
    """Raise DomainWouldBeDropped if deploying `stage` with `domain` would delete the custom
    domain its last deployment had (Chalice deletes what the stage no longer names)."""
    had = recorded_domain(stage, records or RECORDS)
    if had is None or drop_domain:
        return
    if domain is None or domain.name != had:
        raise DomainWouldBeDropped(
            f"stage {stage} serves https://{had}: pass --domain {had} "
            "--certificate-arn ARN again (or --drop-domain to delete it on purpose)"
        )


def deployed_from(record: dict[str, Any], stage: str) -> Deployed:
    """What `berth deploy` needs from Chalice's record of a deployment."""
    resources = {r["name"]: r for r in record.get("resources", [])}
    api = resources.get("rest_api", {})
    handler = resources.get("api_handler", {})
    domains = [r for r in resources.values() if r.get("resource_type") == "domain_name"]
    return Deployed(
        function_name=str(handler.get("lambda_arn", f"berth-{stage}")).split(":")[-1],
        rest_api_url=api.get("rest_api_url"),
        domain_target=domains[0].get("alias_domain_name") if domains else None,
    )


def chalice_delete(stage: str, target: AwsTarget, records: Path = RECORDS) -> None:
    """Run `chalice delete --stage <stage>` with the recorded deployment."""
    with tempfile.TemporaryDirectory(prefix="berth-destroy-") as tmp:
        chalice_dir = _copy_app(stage, Path(tmp), records)
        shutil.copy2(CHALICE_DIR / "config.json", chalice_dir / "config.json")
        _chalice(["delete", "--stage", stage], Path(tmp), target)
        _keep_record(stage, chalice_dir, records)
