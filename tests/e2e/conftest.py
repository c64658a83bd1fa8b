"""End-to-end fixtures: one `berth serve` child per test session, real clients run against it.

Every test gets fresh repository names and a scratch directory that is removed after it, so
tests are independent and leave nothing behind.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.localserver import spawn
from tests.e2e.support import Registry, new_repository


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """`berth serve` in a child process on a free port, its log in a file, stopped at the end."""
    directory = tmp_path_factory.mktemp("berth-serve")
    log = directory / "berth-serve.log"
    try:
        with log.open("wb") as stderr, spawn(stderr=stderr) as server:
            yield Registry(server, log)
        status = server.process.returncode
        assert status == 0, f"berth serve exited {status}:\n{log.read_text()[-4000:]}"
        errors = [r for r in Registry(server, log).log_records() if r.get("level") == "error"]
        assert not errors, f"berth serve logged errors: {json.dumps(errors, indent=1)[-6000:]}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, str]]:
    """`berth serve --auth` in a child, one per test module; yields it and the first admin's
    password."""
    directory = tmp_path_factory.mktemp("berth-serve-auth")
    log = directory / "berth-serve.log"
    try:
        with log.open("wb") as stderr, spawn(stderr=stderr, auth=True) as server:
            match = re.search(r"log in as admin with password (\S+) \(shown once\)", server.line)
            assert match, server.line
            yield Registry(server, log), match.group(1)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A directory for this test's layouts and client state, removed afterwards."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A scratch directory with a short path, removed afterwards: for what limits its length
    (podman's runroot, 50 characters; a unix socket, 107)."""
    path = Path(tempfile.mkdtemp(prefix="be2e-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def repository() -> str:
    return new_repository()
