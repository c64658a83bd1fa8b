"""`berth push` end to end: a `berth serve --lambda-limits` child per test process, and a way
to run `berth push` as a CI job would (a child process, its exit status and output)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from berth.localserver import spawn
from tests.e2e.support import Registry


@pytest.fixture(scope="session")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """`berth serve --lambda-limits`: request bodies over about 4.4 MB get 413."""
    directory = tmp_path_factory.mktemp("berth-serve-limited")
    log = directory / "berth-serve.log"
    try:
        with (
            log.open("wb") as stderr,
            spawn(lambda_limits=True, stderr=stderr, env={"BERTH_AUTH": "off"}) as server,
        ):
            yield Registry(server, log)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def berth_push(
    *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`berth push ARGS` in a child process; never fails by itself (tests check the status)."""
    import os
    import tempfile

    # Without --state a push keeps its state under $XDG_CACHE_HOME: keep tests out of ~/.cache.
    with tempfile.TemporaryDirectory(prefix="berth-push-cache-") as cache:
        return subprocess.run(
            [sys.executable, "-m", "berth.cli", "push", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "XDG_CACHE_HOME": cache, **(env or {})},
            check=False,
        )


def pushed(result: subprocess.CompletedProcess[str]) -> str:
    """The digest a successful push printed, or the test fails with its output."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr[-4000:]}"
    return result.stdout.strip()


def no_stored_logins(directory: Path) -> dict[str, str]:
    """No login stored anywhere `berth push` looks (docker's config, containers auth.json)."""
    return {
        "DOCKER_CONFIG": str(directory),
        "REGISTRY_AUTH_FILE": str(directory / "auth.json"),
        "XDG_CONFIG_HOME": str(directory),
    }
