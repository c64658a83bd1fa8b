"""The proxy's part pool (berth/proxy/send.py) bounds the parts in memory: however fast a
client sends, at most `in_flight` parts are queued or being sent, proxy-wide, plus the one
each receiving upload has filled and is waiting to hand over (docs/push.md's part size x
(part jobs + layers being received)); every part is sent once, and a slot comes back whether
its send succeeded or failed. Sends are held on an event the test sets, never on a clock."""

from __future__ import annotations

import threading

import pytest

from berth.proxy.send import PartPool


class Counted:
    """Part buffers alive (made, not yet sent) and their peak."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.changed = threading.Condition()
        self.release = threading.Event()
        self.alive = 0
        self.peak = 0
        self.sent: list[int] = []
        self.fail_on = fail_on

    def made(self) -> bytes:
        with self.changed:
            self.alive += 1
            self.peak = max(self.peak, self.alive)
            self.changed.notify_all()
        return bytes(16)

    def __call__(self, number: int, data: bytes) -> None:
        self.release.wait()
        with self.changed:
            self.alive -= 1
            self.sent.append(number)
        if number == self.fail_on:
            raise OSError(f"part {number} refused")


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_parts_in_memory_never_exceed_the_pool_bound(jobs: int) -> None:
    pool = PartPool(jobs)
    send = Counted(fail_on=3)
    futures = []

    def client() -> None:
        for number in range(1, 21):
            futures.append(pool.submit(send, number, send.made()))  # blocks when full

    sender = threading.Thread(target=client)
    sender.start()
    with send.changed:  # nothing is sent yet: the client fills the pool and one part more
        send.changed.wait_for(lambda: send.alive >= jobs + 1)
    send.release.set()
    sender.join()
    failed = [number for number, f in enumerate(futures, 1) if f.exception() is not None]
    pool.shutdown()
    assert send.peak == pool.in_flight + 1 == jobs + 1
    assert sorted(send.sent) == list(range(1, 21))  # each part once
    assert failed == [3]
    # Every slot came back, the failed part's too: the pool takes `jobs` more at once.
    for _ in range(jobs):
        assert pool._slots.acquire(blocking=False)
    assert not pool._slots.acquire(blocking=False)
