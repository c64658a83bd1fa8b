"""A blob copy that a run's deadline stops halfway goes on in the next run, against a real
destination (`berth serve`): the second run asks the destination where the session stands,
reads S3 from there and sends only the rest; the destination's blob is the source's byte for
byte. A destination that forgot the session gets the blob again from the start.

The source is moto in this process (the blob in its S3, the checkpoints in its table); the
deadline is a countdown of chunks, never the clock."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from berth.localserver.spawn import spawn
from chalicelib.config import settings
from chalicelib.events.change import PUSH, Change, TagMove
from chalicelib.oci.digest import parse_digest
from chalicelib.remote import uploads
from chalicelib.remote.session import RemoteRegistry
from chalicelib.replication import copy_image, handler, resumable_upload, rules, sinks, status
from chalicelib.replication.deadline import NEVER, Deadline, OutOfTime
from chalicelib.replication.upload_checkpoints import Checkpoint, Checkpoints
from chalicelib.storage import aws as storage_aws
from chalicelib.storage import blobs
from tests.api.helpers import digest_of, image, push
from tests.e2e.support import Registry
from tests.events.conftest import Clock, clock, local_webhooks  # noqa: F401

pytestmark = pytest.mark.e2e

WINDOW = 64 << 10
SIZE = 20 * WINDOW + 4321  # 21 chunks, the last one short


@pytest.fixture(scope="module")
def destination(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    log = tmp_path_factory.mktemp("berth-resume") / "berth-serve.log"
    with log.open("wb") as stderr, spawn(stderr=stderr) as server:
        yield Registry(server, log)


def source_blob(seed: int) -> tuple[str, bytes]:
    data = random.Random(seed).randbytes(SIZE)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    key = blobs.blob_key(parse_digest(digest))
    storage_aws.s3().put_object(Bucket=settings().bucket, Key=key, Body=data)
    return digest, data


def chunks_left(count: int) -> Deadline:
    """A deadline that passes after `count` chunks have gone (one check per chunk)."""
    checks = iter(range(count, -1, -1))
    return Deadline(lambda: float(next(checks, 0)), margin=0.0)


def reader(digest: str, starts: list[int]) -> Callable[[int], Generator[bytes, None, None]]:
    def read(start: int) -> Generator[bytes, None, None]:
        starts.append(start)
        return copy_image.chunks_of(digest, WINDOW, start)

    return read


def test_a_copy_stopped_by_the_deadline_goes_on_from_where_it_stopped(
    aws: dict[str, str], destination: Registry
) -> None:
    digest, data = source_blob(1)
    repository = "resume/one"
    kept = Checkpoints("rule1", 0, repository)
    registry = RemoteRegistry(f"http://{destination.host}")
    starts: list[int] = []
    with pytest.raises(OutOfTime):
        resumable_upload.send(
            registry, repository, digest, SIZE, reader(digest, starts), kept, chunks_left(5)
        )
    saved = kept.load(digest)
    assert saved is not None and saved.offset == 5 * WINDOW
    assert uploads.acknowledged(registry, saved.location) == 5 * WINDOW
    assert destination.request("HEAD", f"/v2/{repository}/blobs/{digest}").status == 404

    # The next run (a fresh client, as a new Lambda run would have) sends only the rest.
    again = RemoteRegistry(f"http://{destination.host}")
    sent = resumable_upload.send(
        again, repository, digest, SIZE, reader(digest, starts), kept, NEVER
    )
    assert starts == [0, 5 * WINDOW]
    assert sent == SIZE - 5 * WINDOW  # nothing sent twice
    assert kept.load(digest) is None
    assert destination.blob(repository, digest) == data


def test_a_destination_that_lost_the_session_gets_the_blob_from_the_start(
    aws: dict[str, str], destination: Registry
) -> None:
    digest, data = source_blob(2)
    repository = "resume/lost"
    kept = Checkpoints("rule1", 0, repository)
    registry = RemoteRegistry(f"http://{destination.host}")
    starts: list[int] = []
    with pytest.raises(OutOfTime):
        resumable_upload.send(
            registry, repository, digest, SIZE, reader(digest, starts), kept, chunks_left(3)
        )
    saved = kept.load(digest)
    assert saved is not None and saved.offset == 3 * WINDOW
    assert registry.request("DELETE", saved.location).status == 204  # the session is gone
    assert uploads.acknowledged(registry, saved.location) is None

    sent = resumable_upload.send(
        registry, repository, digest, SIZE, reader(digest, starts), kept, NEVER
    )
    assert starts == [0, 0]
    assert sent == SIZE
    assert kept.load(digest) is None
    assert destination.blob(repository, digest) == data


def test_a_run_that_stops_before_any_chunk_resumes_an_empty_session(
    aws: dict[str, str], destination: Registry
) -> None:
    digest, data = source_blob(3)
    repository = "resume/empty"
    kept = Checkpoints("rule1", 0, repository)
    registry = RemoteRegistry(f"http://{destination.host}")
    starts: list[int] = []
    with pytest.raises(OutOfTime):
        resumable_upload.send(
            registry, repository, digest, SIZE, reader(digest, starts), kept, chunks_left(0)
        )
    saved = kept.load(digest)
    assert saved is not None and saved.offset == 0
    sent = resumable_upload.send(
        registry, repository, digest, SIZE, reader(digest, starts), kept, NEVER
    )
    assert sent == SIZE
    assert destination.blob(repository, digest) == data


def test_a_queued_copy_stopped_by_the_deadline_stays_pending_and_its_retry_finishes_it(
    client: Any,
    aws: dict[str, str],
    destination: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same through the queue's consumer: the first attempt ends at its deadline with
    the copy pending (not failed, no event), the retry finishes it, and the destination has
    the image byte for byte."""
    monkeypatch.setattr(sinks, "RESUMABLE_OVER", 31)  # the 32-byte layer goes resumably
    monkeypatch.setattr(sinks, "RESUMABLE_PATCH", 8)  # in 4 chunks
    monkeypatch.setenv("BERTH_REPLICATION_ALLOW_NETWORKS", "127.0.0.0/8")
    repo = "resume/queued"
    pushed = image(config=b"{}")
    push(client, repo, pushed, "v1")
    rule = rules.create(
        repository=repo,
        targets=[{"kind": "berth", "url": f"http://{destination.host}"}],
        allow_http=True,
    )
    try:
        change = Change(
            "e1", PUSH, repo, pushed.digest, datetime.now(UTC), "t",
            (TagMove("v1", None, pushed.digest),),
        )  # fmt: skip
        (message,) = handler.messages_for([change])
        first = handler.attempt(message, deadline=chunks_left(2))
        assert first is not None and not first.ok
        assert "continues in the next run" in str(first.error)
        (state,) = status.states(repo)
        assert (state.state, state.attempts) == ("pending", 1)
        layer = pushed.blobs[1]
        layer_digest = digest_of(layer)
        kept = Checkpoints(rules.id_of(rule), 0, repo)
        saved = kept.load(layer_digest)
        assert saved is not None and saved.offset == 16
        assert destination.request("HEAD", f"/v2/{repo}/manifests/v1").status == 404

        second = handler.attempt({**message, "attempt": 2})
        assert second is not None and second.ok
        (state,) = status.states(repo)
        assert (state.state, state.attempts) == ("done", 2)
        assert kept.load(layer_digest) is None
        assert destination.blob(repo, layer_digest) == layer
        answer = destination.request(
            "GET", f"/v2/{repo}/manifests/v1", {"Accept": pushed.media_type}
        )
        assert answer.body == pushed.body
    finally:
        rule.delete()
        rules.forget()


def test_memory_stays_a_few_chunks_whatever_the_blob_size(
    aws: dict[str, str], destination: Registry
) -> None:
    """32 MiB in 1 MiB chunks, made a chunk at a time (as S3's body is read): the Python
    heap's peak during the copy is a few chunks, not the blob (tracemalloc counts every
    bytes object the copy, http.client and the checkpoint writes make)."""
    import tracemalloc

    chunk, count = 1 << 20, 32
    digester = hashlib.sha256()
    source = random.Random(4)
    parts = [source.randbytes(64) for _ in range(count)]  # each chunk: a 64-byte seed x 16384
    for part in parts:
        digester.update(part * (chunk // 64))
    digest = "sha256:" + digester.hexdigest()

    def read(start: int) -> Generator[bytes, None, None]:
        for part in parts[start // chunk :]:
            yield part * (chunk // 64)

    repository = "resume/memory"
    kept = Checkpoints("rule1", 0, repository)
    registry = RemoteRegistry(f"http://{destination.host}")
    kept.save("sha256:" + "0" * 64, 0, Checkpoint("warm-up", 0))  # botocore loads its model
    kept.clear("sha256:" + "0" * 64)
    assert registry.request("GET", "/v2/").status in (200, 401)
    tracemalloc.start()
    try:
        sent = resumable_upload.send(registry, repository, digest, chunk * count, read, kept, NEVER)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent == chunk * count
    assert peak < 4 * chunk, f"peak {peak} bytes"
    answer = destination.request("HEAD", f"/v2/{repository}/blobs/{digest}")
    assert answer.status == 200


def test_berth_serves_pipeline_gives_each_job_a_run_length_so_a_long_copy_resumes(
    client: Any,
    aws: dict[str, str],
    destination: Registry,
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,  # noqa: F811
    local_webhooks: None,  # noqa: F811
) -> None:
    """The local pipeline (berth/localserver/pipeline.py) as `berth serve` runs it: a push
    read from the table's stream, the copy queued, and each delivery given the time left of
    a run BERTH_LOCAL_JOB_SECONDS long, as Lambda gives it. A run of 62.5 s on a clock that
    moves a second per reading stops its copy a minute (the margin) before its end: two
    8-byte chunks per run, so the 32-byte layer takes two runs, the second asking the
    destination where the session stands. Without the budget it would go in one."""
    import itertools
    from functools import partial

    import boto3

    from berth.localserver import pipeline
    from chalicelib.events.deliver import handle_messages
    from chalicelib.events.publish import handle_records

    monkeypatch.setattr(sinks, "RESUMABLE_OVER", 31)
    monkeypatch.setattr(sinks, "RESUMABLE_PATCH", 8)
    monkeypatch.setenv("BERTH_REPLICATION_ALLOW_NETWORKS", "127.0.0.0/8")
    repo = "resume/local-pipeline"
    rule = rules.create(
        repository=repo,
        targets=[{"kind": "berth", "url": f"http://{destination.host}"}],
        allow_http=True,
    )
    ticks = itertools.count()
    local = pipeline.Pipeline(
        pipeline.StreamReader(pipeline.streams_client(), aws["TableStreamArn"]),
        boto3.client("sqs"),
        aws["DeliveryQueueUrl"],
        handle_records,
        pipeline.within(partial(handle_messages, clock=clock), 62.5, lambda: float(next(ticks))),
    )
    try:
        pushed = image(config=b"{}")
        push(client, repo, pushed, "v1")
        layer = pushed.blobs[1]
        kept = Checkpoints(rules.id_of(rule), 0, repo)
        states: list[tuple[str, int]] = []
        offsets: list[int] = []
        for _ in range(50):
            if not local.step():
                clock.advance(60)  # the retry's backoff passes
            found = status.states(repo)
            if found:
                state = (str(found[0].state), int(found[0].attempts))
                if not states or states[-1] != state:
                    states.append(state)
                    saved = kept.load(digest_of(layer))
                    offsets.append(saved.offset if saved is not None else -1)
                if state[0] == "done":
                    break
        assert states == [("pending", 1), ("done", 2)], states
        assert offsets == [16, -1]  # stopped after two chunks; cleared once done
        assert destination.blob(repo, digest_of(layer)) == layer
        answer = destination.request(
            "GET", f"/v2/{repo}/manifests/v1", {"Accept": pushed.media_type}
        )
        assert answer.body == pushed.body
    finally:
        rule.delete()
        rules.forget()
