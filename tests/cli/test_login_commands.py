"""`berth login`/`logout` against the in-process app with auth on, and every admin command then
logging in from what they stored, or from podman's/docker's files and helpers, with no
$BERTH_USERNAME/$BERTH_PASSWORD (HOME and XDG dirs in a temp directory)."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from berth.commands import common
from tests.auth.gate_support import unique
from tests.cli.test_access_commands import Run, berth  # noqa: F401

HOST = "127.0.0.1:5402"  # the in-process app answers whatever the URL; this names the entry


@pytest.fixture
def admin(
    berth: Run,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, str]:
    """The fixture's admin, taken out of the environment: only files can log in."""
    username, password = os.environ["BERTH_USERNAME"], os.environ["BERTH_PASSWORD"]
    for name in ("BERTH_USERNAME", "BERTH_PASSWORD", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BERTH_REGISTRY", HOST)
    return username, password


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_login_then_commands_then_logout(
    berth: Run,  # noqa: F811
    admin: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    username, password = admin
    assert berth(capsys, "user", "ls")[0] == common.EXIT_REFUSED

    _stdin(monkeypatch, "wrong\n")
    status, _, err = berth(capsys, "login", HOST, "-u", username, "--password-stdin")
    assert status == common.EXIT_REFUSED and "UNAUTHORIZED" in err, err
    auth_json = tmp_path / "run" / "containers" / "auth.json"
    assert not auth_json.exists()

    _stdin(monkeypatch, password + "\n")
    status, out, _ = berth(capsys, "login", HOST, "-u", username, "--password-stdin")
    assert status == 0 and "Login Succeeded" in out and str(auth_json) in out
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    assert json.loads(auth_json.read_text()) == {"auths": {HOST: {"auth": encoded}}}
    assert stat.S_IMODE(auth_json.stat().st_mode) == 0o600
    assert not (tmp_path / ".docker").exists()  # docker's config only with --docker

    assert berth(capsys, "user", "ls")[0] == 0
    assert berth(capsys, "webhook", "ls", "--registry", f"http://{HOST}")[0] == 0

    assert berth(capsys, "logout", HOST)[0] == 0
    assert json.loads(auth_json.read_text()) == {"auths": {}}
    status, _, err = berth(capsys, "logout", HOST)
    assert status == common.EXIT_NOT_FOUND and f"not logged in to {HOST}" in err
    status, _, err = berth(capsys, "user", "ls")
    assert status == common.EXIT_REFUSED and "berth login" in err


def test_login_prompts_and_writes_docker_config_when_asked(
    berth: Run,  # noqa: F811
    admin: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    username, password = admin
    monkeypatch.setattr("builtins.input", lambda _prompt: username)
    monkeypatch.setattr("getpass.getpass", lambda _prompt: password)
    authfile = tmp_path / "mine.json"
    status, _, _ = berth(capsys, "login", HOST, "--authfile", str(authfile), "--docker")
    assert status == 0
    docker = tmp_path / ".docker" / "config.json"
    assert HOST in json.loads(docker.read_text())["auths"]
    assert HOST in json.loads(authfile.read_text())["auths"]
    assert not (tmp_path / "run").exists()
    assert berth(capsys, "repo", "ls")[0] == 0  # docker's entry serves
    assert berth(capsys, "logout", HOST, "--docker", "--authfile", str(authfile))[0] == 0
    assert berth(capsys, "user", "ls")[0] == common.EXIT_REFUSED


def test_podman_files_and_docker_helpers_serve_every_command(
    berth: Run,  # noqa: F811
    admin: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    username, password = admin
    persistent = tmp_path / "config" / "containers" / "auth.json"
    persistent.parent.mkdir(parents=True)
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    persistent.write_text(json.dumps({"auths": {HOST: {"auth": encoded}}}))
    assert berth(capsys, "audit", "--principal", username, "--json")[0] == 0
    persistent.unlink()

    helper = tmp_path / "bin" / "docker-credential-fake"
    helper.parent.mkdir()
    answer = json.dumps({"ServerURL": HOST, "Username": username, "Secret": password})
    helper.write_text(f"#!/bin/sh\nread host\n[ \"$host\" = {HOST} ] || exit 1\necho '{answer}'\n")
    helper.chmod(0o700)
    monkeypatch.setenv("PATH", f"{helper.parent}:{os.environ['PATH']}")
    docker = tmp_path / ".docker" / "config.json"
    docker.parent.mkdir()
    docker.write_text(json.dumps({"credsStore": "fake"}))
    assert berth(capsys, "user", "ls")[0] == 0
    docker.write_text(json.dumps({"credHelpers": {HOST: "fake"}}))
    assert berth(capsys, "robot", "ls")[0] == 0
    docker.write_text(json.dumps({"credHelpers": {HOST: "missing"}}))
    status, _, err = berth(capsys, "user", "ls")
    assert status == common.EXIT_ERROR and "docker-credential-missing" in err


def test_a_robot_logs_in_by_either_spelling(
    berth: Run,  # noqa: F811
    admin: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`robot$ci` (the login `robot add` prints) and `robot:ci` (the audit's WHO) are one robot
    to `berth login` and to every command that then reads the stored login (issue 18 §3)."""
    username, password = admin
    _stdin(monkeypatch, password + "\n")
    assert berth(capsys, "login", HOST, "-u", username, "--password-stdin")[0] == 0
    name = unique("ci")
    status, out, err = berth(capsys, "robot", "add", name, "--grant", "*=admin", "--json")
    assert status == 0, err
    secret = json.loads(out)["secret"]
    for spelling in (f"robot:{name}", f"robot${name}"):
        _stdin(monkeypatch, "not-the-secret\n")
        status, _, err = berth(capsys, "login", HOST, "-u", spelling, "--password-stdin")
        assert status == common.EXIT_REFUSED and "UNAUTHORIZED" in err, (spelling, err)
        _stdin(monkeypatch, secret + "\n")
        status, out, err = berth(capsys, "login", HOST, "-u", spelling, "--password-stdin")
        assert status == 0 and "Login Succeeded" in out, (spelling, err)
        status, out, err = berth(capsys, "robot", "ls", "--json")  # as the robot, stored
        assert status == 0 and name in out, (spelling, err)
