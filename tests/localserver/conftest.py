"""`berth serve` in a child process, one per test session (and one with --lambda-limits).

A child, not a thread: the server sets AWS_ENDPOINT_URL and imports the app, which must not
leak into the in-process moto of the other tests, and its memory can be measured alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.localserver import ServerProcess, spawn


def _serve(directory: Path, *, lambda_limits: bool) -> Iterator[ServerProcess]:
    log = directory / "berth-serve.log"
    with log.open("wb") as stderr, spawn(lambda_limits=lambda_limits, stderr=stderr) as server:
        yield server
    assert server.process.returncode == 0, log.read_text()[-4000:]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from _serve(tmp_path_factory.mktemp("serve"), lambda_limits=False)


@pytest.fixture(scope="session")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from _serve(tmp_path_factory.mktemp("serve-limits"), lambda_limits=True)
