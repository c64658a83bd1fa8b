"""The storage counters on the repository item match a recount from the items after every
step of random sequences of pushes, re-pushes, mounts, tag moves, rollbacks, deletes of
tags, manifests and blobs, and lifecycle runs; `berth repo ls` reads them in one query."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.awscalls import recording
from chalicelib.lifecycle import executor
from chalicelib.lifecycle import store as lifecycle_policy
from chalicelib.lifecycle.document import parse_policy
from chalicelib.storage import accounting
from chalicelib.storage.models import REPOS_PARTITION, RepositoryItem
from tests.api.helpers import (
    Pushed,
    digest_of,
    index,
    push,
    push_blob,
    push_image,
    random_bytes,
)


def counters_match(repo: str) -> tuple[int, ...]:
    item = RepositoryItem.get(REPOS_PARTITION, repo, consistent_read=True)
    counted = accounting.usage(item)
    assert not counted.exact, "the counters exist from the first push"
    exact = accounting.recount(item)
    assert counted.counts() == exact.counts(), (counted, exact)
    return counted.counts()


class World:
    def __init__(self, client: Any, repo: str, rng: random.Random) -> None:
        self.client, self.repo, self.rng = client, repo, rng
        self.source = f"{repo}-src"
        self.images: list[Pushed] = []
        self.blobs: list[bytes] = []
        self.source_blob = random_bytes(99)
        push_blob(client, self.source, self.source_blob)
        lifecycle_policy.put(
            repo,
            parse_policy(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "untagged",
                                "countType": "imageCountMoreThan",
                                "countNumber": 2,
                            },
                        }
                    ]
                }
            ),
        )

    def tag(self) -> str:
        return self.rng.choice(["a", "b", "c"])

    def push_image(self) -> None:
        self.images.append(push_image(self.client, self.repo, self.rng.choice([None, self.tag()])))

    def repush(self) -> None:
        if self.images:
            push(self.client, self.repo, self.rng.choice(self.images), self.tag())

    def push_blob(self) -> None:
        data = self.rng.choice([*self.blobs, random_bytes(50)]) if self.blobs else random_bytes(50)
        self.blobs.append(data)
        push_blob(self.client, self.repo, data)

    def mount(self) -> None:
        digest = digest_of(self.source_blob)
        path = f"/v2/{self.repo}/blobs/uploads/?mount={digest}&from={self.source}"
        assert self.client.http.post(path).status_code == 201

    def delete_tag(self) -> None:
        self.client.http.delete(f"/v2/{self.repo}/manifests/{self.tag()}")

    def delete_manifest(self) -> None:
        if self.images:
            target = self.rng.choice(self.images)
            self.client.http.delete(f"/v2/{self.repo}/manifests/{target.digest}")

    def delete_blob(self) -> None:
        if self.blobs or self.images:
            data = self.rng.choice([*self.blobs, *(b for i in self.images for b in i.blobs)])
            self.client.http.delete(f"/v2/{self.repo}/blobs/{digest_of(data)}")

    def rollback(self) -> None:
        path = f"/v2/{self.repo}/_berth/rollback/{self.tag()}"
        if self.images and self.rng.random() < 0.5:
            path += f"?to={self.rng.choice(self.images).digest}"
        self.client.http.post(path, body=b"")

    def push_index(self) -> None:
        if len(self.images) >= 2:
            children = self.rng.sample(self.images, 2)
            self.client.http.put(
                f"/v2/{self.repo}/manifests/{self.tag()}",
                headers={"content-type": index(children).media_type},
                body=index(children).body,
            )

    def lifecycle(self) -> None:
        executor.run_repository(self.repo, dry_run=False, now=datetime.now(UTC) + timedelta(1))

    def step(self) -> str:
        name = self.rng.choice(
            [
                "push_image",
                "push_image",
                "repush",
                "push_blob",
                "mount",
                "delete_tag",
                "delete_manifest",
                "delete_blob",
                "rollback",
                "push_index",
                "lifecycle",
            ]
        )
        getattr(self, name)()
        return name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_match_a_recount_after_every_step(client: Any, repo: str, seed: int) -> None:
    world = World(client, repo, random.Random(seed))
    world.push_image()
    done = []
    for _ in range(30):
        done.append(world.step())
        try:
            counters_match(repo)
        except AssertionError as error:
            raise AssertionError(f"after {done}: {error}") from None
    assert counters_match(world.source)[1] >= 1


def test_repo_ls_is_one_query_and_exact_recounts(client: Any, repo: str) -> None:
    pushed = push_image(client, repo, "v1", layers=2)
    with recording() as recorder, recorder.window() as tally:
        response = client.http.get(f"/v2/_berth/repositories?n=100&last={repo[:-1]}")
    assert [c.operation for c in tally.calls] == ["Query"]
    (mine,) = [r for r in response.json_body["repositories"] if r["name"] == repo]
    sizes = sum(len(b) for b in pushed.blobs)
    assert (mine["blobs"], mine["blobBytes"], mine["manifests"], mine["tags"]) == (
        3,
        sizes,
        1,
        1,
    )
    assert mine["size"] == sizes + len(pushed.body) and mine["exact"] is False
    exact = client.http.get(f"/v2/_berth/repositories?exact=1&n=100&last={repo[:-1]}")
    (again,) = [r for r in exact.json_body["repositories"] if r["name"] == repo]
    assert again == {**mine, "exact": True}


def test_concurrent_links_of_one_blob_count_it_once(client: Any, repo: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.oci.digest import parse_digest
    from chalicelib.storage import blobs

    push_image(client, repo)
    data = random_bytes(77)
    digest = parse_digest(digest_of(data))
    key, _ = blobs.put_bytes(digest, data)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: blobs.link(repo, digest, len(data), key), range(12)))
    blob_bytes, blob_count, *_ = counters_match(repo)
    assert blobs.unlink(repo, digest) and not blobs.unlink(repo, digest)
    assert counters_match(repo)[:2] == (blob_bytes - 77, blob_count - 1)
