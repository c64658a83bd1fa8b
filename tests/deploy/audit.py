"""pytest fixtures: every test's runtime AWS calls must be allowed by the runtime's policy.

Imported by tests/conftest.py, so they apply to the whole suite (and on each xdist worker).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pytest

from berth.deploy.iam_policy import policy
from tests.deploy.permissions import allows
from tests.deploy.recorder import Call, Recorder, recording


@lru_cache(maxsize=8)
def _policy(stage: str) -> dict[str, Any]:
    return policy(stage)


def refused(calls: list[Call], stage: str) -> list[str]:
    """Why each of `calls` would fail in AWS under the policy of `stage`."""
    document = _policy(stage)
    problems = []
    for call in calls:
        if call.problem:
            problems.append(f"{call.name}: {call.problem}")
        for permission in sorted(call.needs):
            if not allows(document, permission):
                problems.append(f"{call.name} needs {permission[0]} on {permission[1]}")
    return sorted(set(problems))


@pytest.fixture(scope="session")
def runtime_call_recorder() -> Iterator[Recorder]:
    yield from recording()


@pytest.fixture(autouse=True)
def runtime_calls_allowed(runtime_call_recorder: Recorder) -> Iterator[None]:
    """Fail a test whose runtime AWS calls the deployed policy (berth/deploy/iam_policy.py)
    would refuse."""
    start = len(runtime_call_recorder.calls)
    yield
    calls = runtime_call_recorder.since(start)
    dump = os.environ.get("BERTH_DUMP_CALLS")
    if dump:
        with open(f"{dump}.{os.getpid()}", "a") as out:
            for call in calls:
                out.write(f"{call.name} {sorted(call.needs)} {call.problem}\n")
    stage = os.environ.get("BERTH_STAGE", "test")
    problems = refused(calls, stage)
    assert not problems, "the runtime's IAM policy would refuse:\n" + "\n".join(problems)
