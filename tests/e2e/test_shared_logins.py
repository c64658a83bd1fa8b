"""One login for every tool, over real HTTP to `berth serve --auth` (`secured`), with the
registry named as podman names it (`127.0.0.1:PORT`, no scheme): `skopeo login` serves `berth`
admin commands, `berth login` serves skopeo, and `berth audit --json` into a closed pipe ends
quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.support import Registry, run

pytestmark = pytest.mark.e2e

_CLEARED = ("BERTH_USERNAME", "BERTH_PASSWORD", "BERTH_REGISTRY", "DOCKER_CONFIG")


def _env(scratch: Path) -> dict[str, str]:
    """No credentials but the auth file under `scratch`."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        HOME=str(scratch),
        XDG_RUNTIME_DIR=str(scratch / "run"),
        XDG_CONFIG_HOME=str(scratch / "config"),
        REGISTRY_AUTH_FILE=str(scratch / "auth.json"),
    )
    return env


def _berth(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "berth.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_skopeo_login_serves_berth_and_berth_login_serves_skopeo(
    secured: tuple[Registry, str], scratch: Path
) -> None:
    registry, password = secured
    env = _env(scratch)
    authfile = scratch / "auth.json"
    refused = _berth(env, "webhook", "ls", "--registry", registry.host)
    assert refused.returncode == 3, refused.stderr

    run(["skopeo", "login", "--tls-verify=false", "--authfile", authfile,
         "-u", "admin", "-p", password, registry.host])  # fmt: skip
    for command in (["webhook", "ls"], ["repo", "ls"], ["user", "ls"]):
        done = _berth(env, *command, "--registry", registry.host)
        assert done.returncode == 0, (command, done.stderr)

    # `berth audit --json | head`: the reader is gone before anything is written.
    reader, writer = os.pipe()
    os.close(reader)
    with subprocess.Popen(
        [sys.executable, "-m", "berth.cli", "audit", "--principal", "admin", "--json",
         "--registry", registry.host],
        stdout=writer, stderr=subprocess.PIPE, env=env, text=True,
    ) as audit:  # fmt: skip
        os.close(writer)
        _, err = audit.communicate(timeout=120)
    assert audit.returncode == 141 and "Traceback" not in err, err

    run(["skopeo", "logout", "--authfile", authfile, registry.host])
    login = _berth(env, "login", registry.host, "-u", "admin", "--password-stdin",
                   stdin=password + "\n")  # fmt: skip
    assert login.returncode == 0, login.stderr
    who = run(["skopeo", "login", "--get-login", "--authfile", authfile, registry.host])
    assert who.stdout.strip() == "admin"
    assert _berth(env, "webhook", "ls", "--registry", registry.host).returncode == 0

    assert _berth(env, "logout", registry.host).returncode == 0
    gone = run(["skopeo", "login", "--get-login", "--authfile", authfile, registry.host],
               check=False)  # fmt: skip
    assert gone.returncode != 0
