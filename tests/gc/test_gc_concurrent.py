"""Garbage collection running while pushes that share layers go on: not one blob lost.

Layers come from a shared pool. Before the run, some pool layers are stored as garbage (in
S3, linked nowhere, older than the cut-off), so re-pushes and mounts find old objects that a
collection is about to delete: the race chalicelib/gc/__init__.py closes. Pushers own their
repositories; each round links a random set of layers (push or mount), sometimes unlinks
some again (making more garbage), while one thread collects over and over. Whatever a push
reported linked and was not unlinked must still be linked, with its bytes, at the end.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from chalicelib.config import settings
from chalicelib.gc.collect import collect
from chalicelib.oci.digest import Digest, compute, parse_digest
from chalicelib.storage import blobs
from tests.api.helpers import random_bytes

PUSHERS = 4
ROUNDS = 25
POOL = 10
GRACE = 2  # seconds: far longer than any push below takes between its S3 step and its link


def _push(repo: str, data: bytes) -> Digest:
    digest = compute(data, "sha256")
    key, fresh = blobs.put_bytes(digest, data)
    assert blobs.link_stored(
        repo, digest, len(data), key, fresh=fresh, restore=lambda: blobs.put_bytes(digest, data)
    )
    return digest


def _mount(repo: str, source: str, digest: Digest) -> bool:
    link = blobs.get_link(source, digest)
    if link is None:
        return False
    return blobs.link_stored(repo, digest, int(link.size), link.s3_key, fresh=False, restore=None)


def test_collection_concurrent_with_pushes_sharing_layers(
    aws: Any, s3: Any, monkeypatch: Any
) -> None:
    seed = random.randrange(1 << 30)
    link = blobs.link
    slow = random.Random(seed)

    def slow_link(*args: Any) -> None:
        time.sleep(slow.random() * 0.03)  # a push's S3 step and its link are apart
        link(*args)

    monkeypatch.setattr(blobs, "link", slow_link)
    rng = random.Random(seed)
    pool = [random_bytes(rng.randrange(100, 3000)) for _ in range(POOL)]
    by_digest = {str(compute(d, "sha256")): d for d in pool}
    garbage = rng.sample(pool, POOL // 2)
    for data in garbage:  # old garbage the pushes will meet again
        blobs.put_bytes(compute(data, "sha256"), data)
    # The first half of each pusher's rounds leaves the garbage alone, so the collector is
    # busy deleting it when the second half starts pushing the same layers again.
    fresh = [data for data in pool if data not in garbage]
    time.sleep(GRACE + 1.1)  # S3 times have one-second resolution
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
                reports.append(collect(grace=GRACE))
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
    reports.append(collect(grace=GRACE))
    assert len(reports) >= 2, "the collector must have run during the pushes"
    bucket = settings().bucket
    for repo, digests in expected.items():
        for digest in digests:
            link = blobs.get_link(repo, parse_digest(digest))
            assert link is not None, f"seed {seed}: {repo} lost its link to {digest}"
            body = s3.get_object(Bucket=bucket, Key=link.s3_key)["Body"].read()
            assert body == by_digest[digest], f"seed {seed}: {digest} lost its bytes"
    deleted = sum(r.blobs for r in reports)
    assert deleted >= 1, f"seed {seed}: the run collected nothing; the race was not exercised"
