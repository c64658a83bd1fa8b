"""Many clients moving one tag at once (issue 11, D8): nobody gets a 503, every move is in the
tag's history, and the retry loop's waits stay far inside the request's time budget.

Real threads against moto, with `contention`'s clock and sleep replaced: each thread has its
own virtual clock that only its waits advance, and a wait lets the other writers run until
one of them lands a move (as real time would), so no test sleeps."""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.storage import contention, tags

MT = "application/vnd.oci.image.manifest.v1+json"


class VirtualTime:
    """Per-thread virtual clocks; `sleep` yields to the other writers until one commits."""

    def __init__(self, writers: int) -> None:
        self._cond = threading.Condition()
        self._commits = 0
        self._running = writers
        self._waiting = 0
        self._local = threading.local()
        self.waits: dict[int, list[float]] = {}

    def monotonic(self) -> float:
        return float(getattr(self._local, "now", 0.0))

    def sleep(self, seconds: float) -> None:
        self._local.now = self.monotonic() + seconds
        self.waits.setdefault(threading.get_ident(), []).append(seconds)
        with self._cond:
            seen = self._commits
            self._waiting += 1
            self._cond.notify_all()
            self._cond.wait_for(
                lambda: self._commits > seen or self._waiting >= self._running, timeout=60
            )
            self._waiting -= 1

    def committed(self) -> None:
        with self._cond:
            self._commits += 1
            self._cond.notify_all()

    def finished(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify_all()


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    jitter = random.Random(11)
    lock = threading.Lock()

    def draw(ceiling: float) -> float:
        with lock:
            return jitter.uniform(0.0, ceiling)

    monkeypatch.setattr(contention, "jitter", draw)
    yield


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("writers", [16, 64])
def test_many_writers_of_one_tag_all_land_and_history_records_every_move(
    aws: Any, repo: str, writers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = VirtualTime(writers)
    monkeypatch.setattr(contention, "monotonic", clock.monotonic)
    monkeypatch.setattr(contention, "sleep", clock.sleep)
    targets = [f"sha256:{hashlib.sha256(str(i).encode()).hexdigest()}" for i in range(writers)]
    barrier = threading.Barrier(writers)
    results: list[Any] = [None] * writers

    def write(index: int) -> None:
        barrier.wait()
        try:
            results[index] = tags.move(repo, "latest", targets[index], MT, b"{}")
            clock.committed()
        except Exception as error:
            results[index] = error
        finally:
            clock.finished()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert results == [True] * writers  # no UNAVAILABLE (503) for anyone

    history = tags.history(repo, "latest")
    assert len(history) == writers
    chain = [(h.from_digest, h.to_digest) for h in history]
    assert chain[0][0] is None
    for (_, previous_to), (next_from, _) in itertools.pairwise(chain):
        assert next_from == previous_to
    assert {to for _, to in chain} == set(targets)

    attempts = max((len(w) + 1 for w in clock.waits.values()), default=1)
    waited = max((sum(w) for w in clock.waits.values()), default=0.0)
    # The worst writer waited a small part of the budget (the 503 came after 10 attempts).
    assert waited < contention.BUDGET_SECONDS / 2
    print(f"\n{writers} writers: worst {attempts} attempts, {waited:.2f} s of backoff")


@given(
    seed=st.integers(0, 2**32),
    budget=st.floats(0.01, 30.0),
    cost=st.floats(0.0, 0.5),
)
def test_attempts_stop_inside_the_budget_and_waits_grow_to_the_cap(
    seed: int, budget: float, cost: float
) -> None:
    """Whatever each attempt costs, the loop ends before the budget; every wait is within
    its backoff ceiling, and the ceilings double from FIRST_WAIT up to MAX_WAIT."""
    now = [0.0]
    waits: list[float] = []
    jitter = random.Random(seed)

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(contention, "monotonic", lambda: now[0])
        patch.setattr(contention, "sleep", sleep)
        patch.setattr(contention, "jitter", lambda ceiling: jitter.uniform(0.0, ceiling))
        count = 0
        for _ in contention.attempts(budget):
            count += 1
            now[0] += cost  # the attempt's own work
            assert now[0] - cost < budget
    assert count == len(waits) + 1
    for number, wait in enumerate(waits, 1):
        assert 0.0 <= wait <= contention.backoff(number) <= contention.MAX_WAIT
    assert contention.backoff(1) == 2 * contention.FIRST_WAIT
    assert contention.backoff(100) == contention.MAX_WAIT
