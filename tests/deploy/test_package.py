"""`chalice package` of each stage: the SAM template Chalice would deploy passes cfn-lint and
uses the hand-written policy and the shipped endpoint data. No AWS is reached (the deployment
package is built from the local app and cached under .chalice/deployments/)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from berth.deploy.chalice_step import (
    ROOT,
    AppRelease,
    CustomDomain,
    chalice_command,
    chalice_package,
)
from berth.deploy.iam_policy import policy
from berth.deploy.target import AwsTarget

STAGES = ("dev", "prod")


OFFLINE = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "offline",
    "AWS_SECRET_ACCESS_KEY": "offline",
}


def _package(stage: str, out: Path) -> dict[str, object]:
    env = {**os.environ, **OFFLINE}
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
        _every_function_is_arm64(resources, out / "deployment.zip")

    # The stage as `berth deploy --domain` stages it (reusing the package built above).
    _a_custom_domain_packages_and_lints(tmp_path / "domain")


EM_AARCH64 = 183  # ELF e_machine of 64-bit ARM


def _every_function_is_arm64(resources: dict[str, dict[str, object]], bundle: Path) -> None:
    """Graviton (.chalice/config.json lambda_architecture, docs/cost.md): every function is
    arm64, and every compiled module Chalice bundled is an aarch64 ELF (Chalice picks the
    manylinux wheels of the function's architecture; a wrong one would fail to import)."""
    import struct
    import zipfile

    functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) >= 2
    for function in functions:
        assert function["Properties"]["Architectures"] == ["arm64"]  # type: ignore[index]
    with zipfile.ZipFile(bundle) as archive:
        shared = [n for n in archive.namelist() if n.endswith(".so") or ".so." in n]
        assert len(shared) >= 4, shared  # cryptography, cffi, argon2, zstandard, rehashes
        for name in shared:
            header = archive.open(name).read(20)
            assert header[:4] == b"\x7fELF", name
            assert struct.unpack("<H", header[18:20])[0] == EM_AARCH64, name


def _the_app_ships_its_bytecode(function: dict[str, object], bundle: Path) -> None:
    """/var/task is read-only: without .pyc files every cold start compiles the app again
    (berth/deploy/bytecode.py). Every module of chalicelib has its unchecked-hash .pyc for the
    runtime Chalice chose, which is the deploying interpreter's (Chalice bundles app.py's
    source alone)."""
    import importlib.util
    import sys
    import zipfile

    assert function["Runtime"] == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        sources = [n for n in names if n.endswith(".py") and n.startswith("chalicelib/")]
        assert len(sources) > 100
        for source in sources:
            folder, _, module = source.rpartition("/")
            compiled = f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc"
            assert compiled in names, compiled
            header = archive.open(compiled).read(8)
            assert header[:4] == importlib.util.MAGIC_NUMBER, compiled
            assert int.from_bytes(header[4:8], "little") == 0b01, compiled  # unchecked hash


def _a_custom_domain_packages_and_lints(out: Path) -> None:
    from cfnlint.api import lint_file

    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    release = AppRelease(
        "prod",
        {"BERTH_STAGE": "prod", "BERTH_TABLE": "berth-prod-meta"},
        policy("prod"),
        CustomDomain("registry.example.com", certificate),
        AwsTarget(region="us-east-1"),
    )
    chalice_package(release, out)
    assert [str(m) for m in lint_file(out / "sam.json")] == []
    template = json.loads((out / "sam.json").read_text())
    resources = template["Resources"]
    (domain,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::DomainName"]
    assert domain["Properties"] == {
        "DomainName": "registry.example.com",
        "EndpointConfiguration": {"Types": ["REGIONAL"]},  # the certificate in the API's region
        "RegionalCertificateArn": certificate,
        "SecurityPolicy": "TLS_1_2",
    }
    (mapping,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::BasePathMapping"]
    # "(none)": the API at the root of the domain, so /v2/ is at the root of the host.
    assert mapping["Properties"]["BasePath"] == "(none)"
    assert mapping["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    assert resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"
    # As `berth deploy` stages it: with the app's bytecode.
    _the_app_ships_its_bytecode(resources["APIHandler"]["Properties"], out / "deployment.zip")
