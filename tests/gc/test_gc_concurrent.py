"""Garbage collection running while pushes that share layers go on: not one blob lost.

Layers come from a shared pool. Before the run, some pool layers are stored as garbage (in
S3, linked nowhere, older than the cut-off), so re-pushes and mounts find old objects that a
collection is about to delete: the race chalicelib/gc/__init__.py closes. Pushers own their
repositories; each round links a random set of layers (push or mount), sometimes unlinks
some again (making more garbage), while one thread collects over and over. Whatever a push
reported linked and was not unlinked must still be linked, with its bytes, at the end.

Nothing waits on the wall clock: the garbage is written while moto's clock reads two hours
ago (so it is past the grace period at once, and every object a push writes is inside it),
and the pushes' pauses between their S3 step and their link are seeded thread switches.
Each seed of SEEDS runs every time, so a failure names a seed that replays its choices.
"""

from __future__ import annotations

import os
import random
import threading
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.gc.collect import collect
from chalicelib.oci.digest import Digest, compute, parse_digest
from chalicelib.storage import blobs
from tests.api.helpers import random_bytes
from tests.gc.s3_clock import s3_clock_behind

PUSHERS = 4
ROUNDS = 25
POOL = 10
SEEDS = (11, 4242, 90210)  # fixed: the same choices every run, and the one to replay
OLD = timedelta(hours=2)  # the garbage's age: past collect()'s default grace of an hour


def _push(repo: str, data: bytes) -> Digest:
    digest = compute(data, "sha256")
    blobs.commit_bytes(repo, digest, data)
    return digest


def _mount(repo: str, source: str, digest: Digest) -> bool:
    link = blobs.get_link(source, digest)
    if link is None:
        return False
    return blobs.link_stored(repo, digest, int(link.size), link.s3_key, fresh=False, restore=None)


@pytest.mark.parametrize("seed", SEEDS)
def test_collection_concurrent_with_pushes_sharing_layers(
    aws: Any, s3: Any, monkeypatch: Any, seed: int
) -> None:
    link = blobs.link
    slow = random.Random(seed)

    def slow_link(*args: Any) -> None:
        for _ in range(slow.randrange(40)):  # a push's S3 step and its link are apart
            os.sched_yield()  # gives the GIL away: the collector may run in between
        link(*args)

    monkeypatch.setattr(blobs, "link", slow_link)
    rng = random.Random(seed)
    pool = [random_bytes(rng.randrange(100, 3000)) for _ in range(POOL)]
    by_digest = {str(compute(d, "sha256")): d for d in pool}
    garbage = rng.sample(pool, POOL // 2)
    with s3_clock_behind(OLD):  # old garbage the pushes will meet again
        for data in garbage:
            blobs.put_bytes(compute(data, "sha256"), data)
    # The first half of each pusher's rounds leaves the garbage alone, so the collector is
    # busy deleting it when the second half starts pushing the same layers again.
    fresh = [data for data in pool if data not in garbage]
    base = f"gcrace/{rng.randrange(1 << 40):x}"
    repos = [f"{base}/p{i}" for i in range(PUSHERS)]
    expected: dict[str, set[str]] = {r: set() for r in repos}
    locks = {r: threading.Lock() for r in repos}
    errors: list[BaseException] = []
    done = threading.Event()
    reports = []
    lost: list[str] = []

    def pusher(index: int) -> None:
        mine = repos[index]
        local = random.Random(seed + index)
        try:
            for round_ in range(ROUNDS):
                choices = fresh if round_ < ROUNDS // 2 else pool
                for data in local.sample(choices, local.randrange(1, 5)):
                    digest = compute(data, "sha256")
                    source = local.choice(repos)
                    if source != mine and local.random() < 0.4:
                        with locks[source]:
                            mounted = _mount(mine, source, digest)
                        if not mounted:
                            _push(mine, data)
                    else:
                        _push(mine, data)
                    with locks[mine]:
                        expected[mine].add(str(digest))
                with locks[mine]:
                    for digest_ in expected[mine]:  # each pushed blob is readable, always
                        if blobs.stored_size(blobs.blob_key(parse_digest(digest_))) is None:
                            lost.append(f"{mine}: {digest_}")
                if expected[mine] and local.random() < 0.7:
                    with locks[mine]:
                        gone = local.choice(sorted(expected[mine]))
                        blobs.unlink(mine, parse_digest(gone))
                        expected[mine].discard(gone)
        except BaseException as error:
            errors.append(error)

    def collector() -> None:
        try:
            while not done.is_set():
                reports.append(collect())
        except BaseException as error:
            errors.append(error)

    gc_thread = threading.Thread(target=collector)
    gc_thread.start()
    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(PUSHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    gc_thread.join()
    assert errors == [], f"seed {seed}: {errors!r}"
    assert lost == [], f"seed {seed}: blobs lost after their push succeeded"
    reports.append(collect())
    assert len(reports) >= 2, "the collector must have run during the pushes"
    bucket = settings().bucket
    for repo, digests in expected.items():
        for digest in digests:
            found = blobs.get_link(repo, parse_digest(digest))
            assert found is not None, f"seed {seed}: {repo} lost its link to {digest}"
            body = s3.get_object(Bucket=bucket, Key=found.s3_key)["Body"].read()
            assert body == by_digest[digest], f"seed {seed}: {digest} lost its bytes"
    deleted = sum(r.blobs for r in reports)
    assert deleted >= 1, f"seed {seed}: the run collected nothing; the race was not exercised"
