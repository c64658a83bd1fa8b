"""The one retry-on-conflict loop (chalicelib/storage/retry.py): what counts as a conflict,
how many attempts a policy allows, and that its pauses go through the injected sleep."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from chalicelib.api.storage_errors import as_oci_error
from chalicelib.storage.errors import Busy
from chalicelib.storage.retry import Again, Attempts, until_committed


def _refused(code: str = "ConditionalCheckFailedException") -> TransactWriteError:
    cause = ClientError({"Error": {"Code": code, "Message": "no"}}, "TransactWriteItems")
    return TransactWriteError("refused", cause=cause)


def test_commits_after_conflicts_and_lets_the_caller_learn_from_each() -> None:
    outcomes: list[Exception | None] = [_refused(), Again(), None]
    learned: list[TransactWriteError] = []

    def attempt() -> str:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return "done"

    assert until_committed(attempt, busy="busy", conflicted=learned.append) == "done"
    assert len(learned) == 1  # an Again is no transaction: nothing to learn from


def test_gives_up_with_503_after_the_policys_attempts() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise _refused()

    with pytest.raises(Busy) as raised:
        until_committed(attempt, busy="tag is busy", policy=Attempts(3))
    told = as_oci_error(raised.value)  # what the client is told
    assert told.code == "UNAVAILABLE" and "tag is busy" in str(told.message)
    assert len(calls) == 3


def test_other_failures_are_not_retried() -> None:
    def attempt() -> None:
        raise _refused("ProvisionedThroughputExceededException")

    with pytest.raises(TransactWriteError):
        until_committed(attempt, busy="busy")


def test_pauses_go_through_the_injected_sleep() -> None:
    slept: list[float] = []
    policy = Attempts(4, pause=lambda n: 0.01 * n, sleep=slept.append)

    def attempt() -> None:
        raise Again

    with pytest.raises(Busy):
        until_committed(attempt, busy="busy", policy=policy)
    assert slept == [0.01, 0.02, 0.03]
