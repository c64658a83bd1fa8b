"""The incremental collection leaves exactly what the full mark-and-sweep would, against
moto: random pushes sharing layers (some with large manifests kept in S3), blobs pushed
alone, tag moves, manifest deletes, blob unlinks and lifecycle expiries, with collections
in between.

After a collection past the grace period the blob and large-manifest objects the machine
wrote are exactly those some link or manifest of its model holds (nothing referenced
deleted, nothing unreferenced left), and a full run after it deletes none of them. A
collection inside the grace period deletes nothing anything holds. Time moves by the
virtual clock (tests/gc/virtual_clock.py), which ages S3 objects, releases and links alike."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chalicelib.config import settings as berth_settings
from chalicelib.gc.collect import collect
from chalicelib.lifecycle import executor
from chalicelib.lifecycle import store as lifecycle_policy
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import keys, raw_items
from chalicelib.storage.manifests import manifest_key
from chalicelib.storage.raw_items import LinkRow, ManifestRow
from tests.api.helpers import Pushed, assert_ok, digest_of, push, push_blob, random_bytes
from tests.gc.test_gc_lifecycle import image_of
from tests.gc.virtual_clock import VirtualClock, virtual_clock
from tests.lifecycle.test_executor import UNTAGGED_7, set_policy

PAST_GRACE = timedelta(hours=1, minutes=5)
PAST_EXPIRY = timedelta(days=8)  # UNTAGGED_7 expires what was pushed before
BIG = {"big": "x" * (310 * 1024)}  # over the item limit: the body lives at manifests/...
POOL = 4  # layers the images draw from, so they share


# A push: which repository, which layers of the pool, under which tag (None: untagged, what
# the lifecycle rule expires), and whether its manifest is large.
PUSH = (
    st.integers(0, 1),
    st.sets(st.integers(0, POOL - 1), min_size=1, max_size=3),
    st.sampled_from([None, None, "a", "b"]),
    st.sampled_from([True, False, False]),
)
PUSHES = st.tuples(*PUSH)


@dataclass(slots=True)
class Image:
    pushed: Pushed
    big: bool

    @property
    def names(self) -> set[str]:
        return {digest_of(b) for b in self.pushed.blobs}


@dataclass(slots=True)
class Repo:
    name: str
    links: set[str] = field(default_factory=set)
    manifests: dict[str, Image] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class Collections(RuleBasedStateMachine):
    client: ClassVar[Any] = None
    s3: ClassVar[Any] = None

    def __init__(self) -> None:
        super().__init__()
        self.exits = ExitStack()
        self.clock: VirtualClock = self.exits.enter_context(virtual_clock())
        base = f"test/eq-{uuid.uuid4().hex[:10]}"
        self.repos = [Repo(f"{base}-a"), Repo(f"{base}-b")]
        self.layers = [random_bytes(40 + i) for i in range(POOL)]
        self.images: list[Image] = []
        self.written: set[str] = set()  # every object name (digest or key) ever pushed

    @initialize(first=st.lists(PUSHES, min_size=2, max_size=3))
    def policies_and_images(self, first: list[tuple[int, set[int], str | None, bool]]) -> None:
        """Each repository expires untagged images after a week; a few images to start."""
        for repo in self.repos:
            set_policy(repo.name, UNTAGGED_7)
        for which, layers, tag, big in first:
            self.push_image(which, layers, tag, big)

    # -- what the machine does -------------------------------------------------------------

    def _push(self, repo: Repo, image: Image, tag: str | None) -> None:
        push(self.client, repo.name, image.pushed, tag)
        repo.links |= image.names
        repo.manifests[image.pushed.digest] = image
        if tag is not None:
            repo.tags[tag] = image.pushed.digest
        self.written |= image.names | self._keys([image])

    @rule(**dict(zip(["which", "layers", "tag", "big"], PUSH, strict=True)))
    def push_image(self, which: int, layers: set[int], tag: str | None, big: bool) -> None:
        pushed = image_of([self.layers[i] for i in sorted(layers)], BIG if big else None)
        image = Image(pushed, big)
        self.images.append(image)
        self._push(self.repos[which], image, tag)

    @rule(which=st.integers(0, 1), layer=st.integers(0, POOL))
    def push_blob(self, which: int, layer: int) -> None:
        """A blob alone (a pool layer, or one of its own), as before a manifest."""
        data = self.layers[layer] if layer < POOL else random_bytes(30)
        push_blob(self.client, self.repos[which].name, data)
        self.repos[which].links.add(digest_of(data))
        self.written.add(digest_of(data))

    @precondition(lambda self: self.images)
    @rule(data=st.data(), which=st.integers(0, 1), tag=st.sampled_from(["a", "b"]))
    def move_tag(self, data: st.DataObject, which: int, tag: str) -> None:
        """Push an image again (here or into the other repository) under a tag."""
        image = data.draw(st.sampled_from(self.images))
        self._push(self.repos[which], image, tag)

    @precondition(lambda self: any(r.manifests for r in self.repos))
    @rule(data=st.data())
    def delete_manifest(self, data: st.DataObject) -> None:
        repo = data.draw(st.sampled_from([r for r in self.repos if r.manifests]))
        digest = data.draw(st.sampled_from(sorted(repo.manifests)))
        assert_ok(self.client.http.delete(f"/v2/{repo.name}/manifests/{digest}"), 202)
        del repo.manifests[digest]
        repo.tags = {t: d for t, d in repo.tags.items() if d != digest}

    @precondition(lambda self: any(r.links for r in self.repos))
    @rule(data=st.data())
    def unlink_blob(self, data: st.DataObject) -> None:
        repo = data.draw(st.sampled_from([r for r in self.repos if r.links]))
        digest = data.draw(st.sampled_from(sorted(repo.links)))
        assert_ok(self.client.http.delete(f"/v2/{repo.name}/blobs/{digest}"), 202)
        repo.links.discard(digest)

    @rule()
    def expire(self) -> None:
        """A week and a day on, each repository's lifecycle run: untagged images go (but
        those a rollback may still need), then the links no remaining image uses."""
        self.clock.advance(PAST_EXPIRY)
        for repo in self.repos:
            run = executor.run_repository(repo.name, dry_run=False)
            tagged = set(repo.tags.values())
            for digest in run.deleted:
                assert digest not in tagged, digest
                del repo.manifests[digest]
            if run.deleted:
                assert run.unlink_complete
                used = {n for image in repo.manifests.values() for n in image.names}
                unlinked = {link["digest"] for link in run.unlink}
                assert unlinked == repo.links - used, (unlinked, repo.links, used)
                repo.links -= unlinked

    @rule()
    def collect_past_grace(self) -> None:
        """Left: what the full run's mark phase finds held (read from the items of the
        machine's repositories, the only ones that name its random layers), which must be
        what the model holds; everything past the grace period is old enough for it."""
        self.clock.advance(PAST_GRACE)
        report = collect(full=False)
        assert report.mode == "incremental" and report.complete and not report.failed
        marked = self._marked()
        assert marked == self._held(), (sorted(marked), sorted(self._held()))
        self._exactly_the_held_remain()

    @rule()
    def collect_within_grace(self) -> None:
        report = collect(full=False)
        assert report.mode == "incremental" and not report.failed
        missing = self._held() - self._stored()
        assert not missing, f"held but deleted: {sorted(missing)}"

    def teardown(self) -> None:
        """Every sequence ends with a lifecycle run and a collection past the grace period
        (checked as above), which also settles what the machine released; its policies are
        switched off, so the process's other tests (sharing the table and the bucket) meet
        neither."""
        try:
            self.expire()
            self.collect_past_grace()
            full = collect(full=True)  # the full run itself, once per sequence
            assert full.complete and not full.failed
            self._exactly_the_held_remain()  # it found nothing more of ours to delete
        finally:
            try:
                for repo in self.repos:
                    lifecycle_policy.put(repo.name, [])
            finally:
                self.exits.close()

    # -- the model and the bucket ----------------------------------------------------------

    def _keys(self, images: list[Image]) -> set[str]:
        return {manifest_key(parse_digest(i.pushed.digest)) for i in images if i.big}

    def _held(self) -> set[str]:
        held: set[str] = set()
        for repo in self.repos:
            held |= repo.links
            for image in repo.manifests.values():
                held |= image.names
            held |= self._keys(list(repo.manifests.values()))
        return held

    def _marked(self) -> set[str]:
        """What chalicelib/gc/mark.py would mark of the machine's repositories: linked
        digests, the blobs manifests list, large manifests' objects (not the index)."""
        marked: set[str] = set()
        for repo in self.repos:
            for page in raw_items.query_from(
                keys.repo_pk(repo.name), keys.LINK_PREFIX, ["blobs", "s3_key"]
            ):
                for item in page:
                    row = raw_items.decode(item)
                    if isinstance(row, LinkRow):
                        marked.add(row.digest)
                    elif isinstance(row, ManifestRow):
                        marked.update(row.blobs)
                        if row.s3_key is not None:
                            marked.add(row.s3_key)
        return marked

    def _stored(self) -> set[str]:
        return {name for name in self.written if self._exists(name)}

    def _exists(self, name: str) -> bool:
        if name.startswith("manifests/"):
            key = name
        else:
            algorithm, _, hex_ = name.partition(":")
            key = f"blobs/{algorithm}/{hex_}"
        try:
            self.s3.head_object(Bucket=berth_settings().bucket, Key=key)
        except ClientError:
            return False
        return True

    def _exactly_the_held_remain(self) -> None:
        held, stored = self._held(), self._stored()
        assert not held - stored, f"held but deleted: {sorted(held - stored)}"
        assert not stored - held, f"unreferenced but left: {sorted(stored - held)}"


def test_incremental_collection_leaves_what_the_full_one_would(client: Any, s3: Any) -> None:
    Collections.client, Collections.s3 = client, s3
    run_state_machine_as_test(
        Collections,
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
