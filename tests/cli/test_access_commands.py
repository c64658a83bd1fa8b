"""`berth user|robot|grant|ungrant|public|iam|audit` against the in-process app with auth on
(credentials from $BERTH_USERNAME/$BERTH_PASSWORD, through the registry's token flow), their
exit codes, and once against a `berth serve --auth` child over real HTTP."""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from berth import cli
from berth.client.berth_api import RegistryClient, Reply
from berth.commands import common
from chalicelib.auth import principals
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import unique, user

Run = Any


@pytest.fixture
def berth(client: Any, auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """`berth ARGS...` against the in-process app as a fresh registry admin."""
    admin = user("admin", [("*", Level.ADMIN)])
    monkeypatch.setenv("BERTH_USERNAME", admin.username or "")
    monkeypatch.setenv("BERTH_PASSWORD", admin.secret or "")
    calls: list[tuple[str, str]] = []

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        calls.append((method, path))
        response = client.http.request(method, path, headers=headers, body=body or b"")
        out = {k.lower(): str(v) for k, v in (response.headers or {}).items()}
        return Reply(response.status_code, out, response.body or b"")

    monkeypatch.setattr(
        common, "client_for", lambda args: RegistryClient(send, common.credentials(args))
    )

    def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        status = cli.main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    run.calls = calls  # type: ignore[attr-defined]
    yield run


def test_users(berth: Run, capsys: pytest.CaptureFixture[str]) -> None:
    name = unique("u")
    status, out, _ = berth(capsys, "user", "add", name, "--grant", "team/*=push")
    assert status == 0, out
    password = re.search(r"password: (\S+) \(shown once\)", out)
    assert password is not None
    assert principals.authenticate(name, password.group(1)) is not None
    # The admin command went through the token flow: a 401, /token, then the request again.
    assert any(path.startswith("/token?") for _, path in berth.calls)

    assert berth(capsys, "user", "add", name)[0] == common.EXIT_CONFLICT
    status, out, _ = berth(capsys, "user", "ls")
    assert status == 0 and any(
        line.split()[:3] == [name, "active", "team/*=push"] for line in out.splitlines()
    )
    status, out, _ = berth(capsys, "user", "passwd", name)
    new = re.search(r"password: (\S+) \(shown once\)", out)
    assert status == 0 and new is not None
    assert principals.authenticate(name, new.group(1)) is not None
    assert berth(capsys, "user", "disable", name)[0] == 0
    assert principals.authenticate(name, new.group(1)) is None
    assert berth(capsys, "user", "enable", name)[0] == 0
    assert principals.authenticate(name, new.group(1)) is not None
    assert berth(capsys, "user", "rm", name)[0] == 0
    status, _, err = berth(capsys, "user", "rm", name)
    assert status == common.EXIT_NOT_FOUND and "NAME_UNKNOWN" in err
    assert berth(capsys, "user", "add", "Not A Name")[0] == common.EXIT_ERROR


def test_user_password_from_stdin(
    berth: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, password = unique("u"), f"pw-{uuid.uuid4().hex}"
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    status, out, _ = berth(capsys, "user", "add", name, "--user-password-stdin")
    assert status == 0 and password not in out
    assert principals.authenticate(name, password) is not None


def test_robots(berth: Run, capsys: pytest.CaptureFixture[str]) -> None:
    name = unique("r")
    status, out, _ = berth(
        capsys, "robot", "add", name, "--grant", "ci/app=push", "--expires", "30d", "--json"
    )
    assert status == 0
    answer = json.loads(out)
    secret = answer["secret"]
    assert answer["login"] == f"robot${name}" and answer["validUntil"]
    assert principals.authenticate(f"robot${name}", secret) is not None
    status, out, _ = berth(capsys, "robot", "ls")
    assert status == 0 and secret not in out
    assert any(line.split()[:2] == [f"robot${name}", "active"] for line in out.splitlines())
    assert berth(capsys, "robot", "revoke", name)[0] == 0
    assert principals.authenticate(f"robot${name}", secret) is None
    status, out, _ = berth(capsys, "robot", "ls")
    assert any(line.split()[:2] == [f"robot${name}", "revoked"] for line in out.splitlines())
    assert berth(capsys, "robot", "rm", name)[0] == 0
    with pytest.raises(SystemExit) as exited:  # a robot must be scoped: --grant is required
        berth(capsys, "robot", "add", unique("r"))
    assert exited.value.code == 2


def test_grants_public_and_iam(berth: Run, capsys: pytest.CaptureFixture[str]) -> None:
    someone = user("someone", [])
    ns = unique("g")
    assert berth(capsys, "grant", "add", f"user:{someone.username}", f"{ns}/*", "pull")[0] == 0
    stored = principals.load("user", someone.username or "")
    assert stored is not None and stored.principal.grants[0].level is Level.PULL
    status, out, _ = berth(capsys, "grant", "ls")
    assert status == 0 and f"user:{someone.username}" in out
    assert berth(capsys, "ungrant", str(someone.username), f"{ns}/*")[0] == 0
    assert berth(capsys, "grant", "rm", str(someone.username), f"{ns}/*")[0] == 4

    assert berth(capsys, "public", "add", f"{ns}/open")[0] == 0
    status, out, _ = berth(capsys, "public", "ls")
    assert status == 0 and f"{ns}/open" in out.split()
    assert berth(capsys, "public", "rm", f"{ns}/open")[0] == 0
    assert berth(capsys, "public", "rm", f"{ns}/open")[0] == 4

    mapping = unique("m")
    arn = "arn:aws:iam::123456789012:role/deploy"
    assert berth(capsys, "iam", "map", mapping, arn, "--grant", f"{ns}/*=push")[0] == 0
    _, out, _ = berth(capsys, "iam", "ls")
    assert any(line.split()[:3] == [mapping, arn, f"{ns}/*=push"] for line in out.splitlines())
    assert berth(capsys, "iam", "unmap", mapping)[0] == 0
    assert principals.load("iam", mapping) is None


def test_iam_login_password(berth: Run, client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The printed password logs in as the mapped IAM caller (moto's STS)."""
    from tests.auth.gate_support import basic

    mapping = unique("m")
    arn = "arn:aws:*::123456789012:*"
    assert berth(capsys, "iam", "map", mapping, arn, "--grant", "iamci/*=push")[0] == 0
    try:
        status, out, _ = berth(capsys, "iam", "login-password")
        assert status == 0
        password = out.strip()
        response = client.http.get(
            "/token?service=berth&scope=repository:iamci/app:push", headers=basic("aws", password)
        )
        assert response.status_code == 200
        assert json.loads(response.body)["scope"] == "repository:iamci/app:push"
    finally:
        assert berth(capsys, "iam", "unmap", mapping)[0] == 0


def test_iam_login_password_signs_the_service_the_registry_names(
    berth: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --service and no $BERTH_SERVICE: the password signs the service the registry's
    challenge names (a deployed stage's own, issue 11 D6), not a shared default."""
    from chalicelib.auth.auth_settings import auth_settings
    from chalicelib.auth.iam import SERVICE_HEADER, decode_password
    from tests.auth.test_iam_service_binding import signature_matches

    monkeypatch.setenv("BERTH_SERVICE", "berth-qa-0123456789ab")
    auth_settings.cache_clear()
    auth_settings()  # the registry's settings, read once
    monkeypatch.delenv("BERTH_SERVICE")
    try:
        status, out, _ = berth(capsys, "iam", "login-password")
        assert status == 0
        url = decode_password(out.strip())
        assert signature_matches(url, {SERVICE_HEADER: "berth-qa-0123456789ab"})
        assert not signature_matches(url, {SERVICE_HEADER: "berth"})
        status, out, _ = berth(capsys, "iam", "login-password", "--service", "other")
        assert signature_matches(decode_password(out.strip()), {SERVICE_HEADER: "other"})
    finally:
        auth_settings.cache_clear()


def test_no_aws_credentials_says_what_to_set(
    berth: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Found trying it as a user: `berth ui login` on a laptop without AWS credentials said
    only "Unable to locate credentials"; it now says what to set, locally and in AWS."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the credentials it found
    for argv in (
        ("ui", "login", "--service", "berth"),
        ("iam", "login-password", "--service", "x"),
    ):
        status, _, err = berth(capsys, *argv)
        assert status == common.EXIT_ERROR
        assert "Unable to locate credentials" in err
        assert "AWS_ENDPOINT_URL" in err and "berth iam map" in err, err


def test_refusals_have_their_exit_codes(
    berth: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = user("writer", [("*", Level.PUSH)])
    monkeypatch.setenv("BERTH_USERNAME", writer.username or "")
    monkeypatch.setenv("BERTH_PASSWORD", writer.secret or "")
    assert berth(capsys, "user", "ls")[0] == common.EXIT_REFUSED
    monkeypatch.setenv("BERTH_PASSWORD", "wrong")
    status, _, err = berth(capsys, "user", "ls")
    assert status == common.EXIT_REFUSED and "UNAUTHORIZED" in err
    monkeypatch.delenv("BERTH_USERNAME")
    monkeypatch.delenv("BERTH_PASSWORD")
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
    monkeypatch.setenv("REGISTRY_AUTH_FILE", "/nonexistent/auth.json")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    # Every command, gc too, exits 3 when refused (it exited 1 before issue 18 §3).
    status, _, err = berth(capsys, "gc", "--dry-run")
    assert status == common.EXIT_REFUSED and "UNAUTHORIZED" in err


def test_audit_command(
    berth: Run, client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique("u")
    assert berth(capsys, "user", "add", name, "--grant", "x/*=pull")[0] == 0
    admin = f"user:{os.environ['BERTH_USERNAME']}"
    status, out, _ = berth(capsys, "audit", "--principal", admin, "--json")
    assert status == 0
    events = json.loads(out)["events"]
    assert events[0]["action"] == "user.create" and events[0]["subject"] == f"user:{name}"
    status, out, _ = berth(capsys, "audit", "--principal", f"user:{name}")
    assert status == 0 and "user.create" in out and admin in out
    assert berth(capsys, "audit", "--principal", admin, "--since", "not-a-time")[0] == 1
    with pytest.raises(SystemExit):
        berth(capsys, "audit")  # --repo or --principal is required


@pytest.fixture(scope="module")
def secured() -> Iterator[tuple[str, str]]:
    from berth.localserver import spawn

    with spawn(auth=True) as server:
        match = re.search(r"log in as admin with password (\S+) \(shown once\)", server.line)
        assert match, server.line
        yield server.url, match.group(1)


def test_against_berth_serve_with_auth(
    secured: tuple[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real token flow over HTTP: admin password on stdin, a robot, its audit trail."""
    url, password = secured
    monkeypatch.delenv("BERTH_USERNAME", raising=False)
    monkeypatch.delenv("BERTH_PASSWORD", raising=False)
    assert cli.main(["user", "ls", "--registry", url]) == common.EXIT_REFUSED
    capsys.readouterr()

    def as_admin(*argv: str) -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        status = cli.main([*argv, "--registry", url, "--username", "admin", "--password-stdin"])
        return status, capsys.readouterr().out

    robot = f"ci{uuid.uuid4().hex[:8]}"
    status, out = as_admin("robot", "add", robot, "--grant", "ci/*=push", "--json")
    assert status == 0
    secret = json.loads(out)["secret"]
    status, out = as_admin("robot", "ls")
    assert status == 0 and f"robot${robot}" in out and secret not in out
    status, out = as_admin("audit", "--principal", "user:admin", "--json")
    assert status == 0
    event = json.loads(out)["events"][0]
    assert (event["action"], event["subject"], event["sourceIp"]) == (
        "robot.create",
        f"robot:{robot}",
        "127.0.0.1",
    )
    assert "Python-urllib" in event["userAgent"]
    assert secret not in out and password not in out
    # The robot logs in with its secret; registry admin it is not.
    monkeypatch.setenv("BERTH_USERNAME", f"robot${robot}")
    monkeypatch.setenv("BERTH_PASSWORD", secret)
    assert cli.main(["public", "ls", "--registry", url]) == common.EXIT_REFUSED
