"""Commands that used to end in a traceback end in a message and an exit code instead: a
scheme-less `berth push --registry`, a reader that closes the pipe early (`berth audit --json |
head`), and `berth deploy` without an AWS region or credentials."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from berth import cli
from berth.push import http
from berth.push.errors import ExitCode
from tests.cli.test_access_commands import Run, berth  # noqa: F401
from tests.push.dockersave import write_docker_save


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_push_to_a_scheme_less_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`127.0.0.1:PORT` means http://127.0.0.1:PORT: nothing listens, so a network failure
    (not `IndexError`, not `unknown url type`)."""
    monkeypatch.setattr(http, "RETRIES", 1)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    saved = write_docker_save(tmp_path / "mid.tar")
    port = _closed_port()
    status = cli.main(
        ["push", "-q", "--registry", f"127.0.0.1:{port}", str(saved.path), "team/mid:2"]
    )
    err = capsys.readouterr().err
    assert status == ExitCode.NETWORK, err
    assert f"127.0.0.1:{port}" in err and "run again to resume" in err
    assert "Traceback" not in err


def test_push_with_a_credential_helper_that_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    for name in ("BERTH_USERNAME", "BERTH_PASSWORD", "REGISTRY_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(
        json.dumps({"credHelpers": {f"localhost:{port}": "not-installed"}})
    )
    saved = write_docker_save(tmp_path / "mid.tar")
    status = cli.main(["push", "-q", str(saved.path), f"localhost:{port}/team/mid:2"])
    err = capsys.readouterr().err
    assert status == ExitCode.AUTH and "docker-credential-not-installed" in err, err


class _ClosedPipe(io.StringIO):
    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_stops_early_ends_the_command_quietly(
    berth: Run,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    status, _, err = berth(capsys, "audit", "--principal", "admin", "--json")
    assert status == cli.EXIT_BROKEN_PIPE and "Traceback" not in err


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No region, no credentials anywhere boto looks (files, environment, instance metadata)."""
    for name in (
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.chdir(tmp_path)


def test_deploy_without_region_or_credentials(
    no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["deploy", "--stage", "t18"]) == 2
    err = capsys.readouterr().err
    assert "no AWS region: pass --region" in err and "Traceback" not in err
    assert cli.main(["deploy", "--stage", "t18", "--region", "eu-west-1"]) == 3
    err = capsys.readouterr().err
    assert "Unable to locate credentials" in err and "aws configure" in err
    assert cli.main(["destroy", "--stage", "t18", "--yes", "--profile", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
