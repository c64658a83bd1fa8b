"""Replication between two `berth serve` instances, as a user sets it up: a rule on the
source (`berth replicate add --to-berth`), skopeo pushes, and the source's own event
pipeline copying to the destination. In the middle the destination goes away (a gate
between the two refuses connections): the copy fails, is retried with backoff by the
source's queue, and lands once the destination is back. Every blob and manifest at the
destination is compared byte for byte with the source, and the destination's request log
shows each blob uploaded exactly once.

Waiting is on events, never on time: the destination's own webhook announces each tagged
image that arrives (a receiver thread here), the gate announces each refused connection.
A copy puts the image's manifest once, by its tag, as a client's push does: the destination
sees one push (or, for an image it had, one tag move) per copy, never both."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.localserver.spawn import spawn
from tests.e2e.gate import Gate
from tests.e2e.images import Image, write_image
from tests.e2e.support import Registry, run
from tests.events.conftest import Receiver, receiver  # noqa: F401

pytestmark = pytest.mark.e2e

MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json"


def berth(*args: str) -> str:
    return run([sys.executable, "-m", "berth.cli", *args]).stdout


@pytest.fixture(scope="module")
def destination(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A second `berth serve`, the replica."""
    log = tmp_path_factory.mktemp("berth-replica") / "berth-serve.log"
    with log.open("wb") as stderr, spawn(stderr=stderr) as server:
        yield Registry(server, log)


@pytest.fixture
def gate(destination: Registry) -> Iterator[Gate]:
    opened = Gate(destination.server.port).start()
    yield opened
    opened.close()


def push(registry: Registry, image: Image, repository: str) -> None:
    run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            image.reference,
            registry.docker(repository, image.tag),
        ]
    )


def arrived_tags(hook: Receiver, count: int) -> list[str]:
    got = hook.wait_for(count)
    return [json.loads(r.body)["data"].get("image-tag") for r in got]


def assert_same_image(source: Registry, replica: Registry, repository: str, image: Image) -> None:
    for registry in (source, replica):
        answer = registry.request(
            "GET", f"/v2/{repository}/manifests/{image.tag}", {"Accept": MANIFEST_TYPES}
        )
        assert answer.status == 200
        assert answer.body == image.manifest_bytes
    for blob in (image.config, *image.layers):
        assert replica.blob(repository, blob.digest) == source.blob(repository, blob.digest)


def test_replicas_match_byte_for_byte_across_an_outage(
    registry: Registry,
    destination: Registry,
    gate: Gate,
    repository: str,
    scratch: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    source_url, replica_url = f"http://{registry.host}", f"http://{destination.host}"
    hook_out = berth(
        "webhook", "add", receiver.url, "--repository", repository, "--event", "push",
        "--event", "tag", "--registry", replica_url,
    )  # fmt: skip
    hook = re.search(r"webhook (\w+)", hook_out)
    assert hook is not None, hook_out
    out = berth(
        "replicate", "add", repository, "--to-berth", f"http://127.0.0.1:{gate.port}",
        "--registry", source_url,
    )  # fmt: skip
    rule = re.search(r"replication rule (\w+)", out)
    assert rule is not None, out
    try:
        first = write_image(scratch / "one", "v1", layer_sizes=(300_000, 20_000))
        push(registry, first, repository)
        assert arrived_tags(receiver, 1) == ["v1"]

        gate.set_up(False)  # the destination goes away
        second = write_image(scratch / "two", "v2", layer_sizes=(150_000, 10_000, 5_000))
        push(registry, second, repository)
        # Both tries of the first request (the transport tries a kept-alive request once
        # more on a fresh connection) refused: that attempt has failed.
        assert gate.wait_refused(2)
        gate.set_up(True)  # back: the queued retry (5-10 s of backoff) finds it
        assert arrived_tags(receiver, 2) == ["v1", "v2"]

        third = write_image(scratch / "three", "v3", layer_sizes=(40_000,))
        push(registry, third, repository)
        assert arrived_tags(receiver, 3) == ["v1", "v2", "v3"]

        for image in (first, second, third):
            assert_same_image(registry, destination, repository, image)
        status = json.loads(
            berth("replicate", "status", repository, "--json", "--registry", source_url)
        )
        states = {r["tag"]: (r["state"], r["attempts"]) for r in status["replicas"]}
        assert states["v1"] == ("done", 1) and states["v3"] == ("done", 1)
        assert states["v2"][0] == "done" and states["v2"][1] >= 2
        table = berth("replicate", "status", repository, "--registry", source_url)
        done = [line.split()[-1] for line in table.splitlines()[1:]]
        # One time format in every table (a user trial saw Python's isoformat with microseconds).
        assert done and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d) for d in done), (
            table
        )

        uploads = [
            r
            for r in destination.log_records()
            if r.get("repository") == repository
            and r.get("operation") in ("PutUpload", "PatchUpload")
            and r.get("status") == 201
        ]
        blobs = {b.digest for i in (first, second, third) for b in (i.config, *i.layers)}
        assert len(uploads) == len(blobs), "each blob uploaded exactly once"
    finally:
        berth("replicate", "rm", rule.group(1), "--registry", source_url)
        berth("webhook", "rm", hook.group(1), "--registry", replica_url)
