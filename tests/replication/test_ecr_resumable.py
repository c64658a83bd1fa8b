"""A layer into ECR that one Lambda run cannot finish goes on in the next (issue 15: every
destination kind resumable): ECR keeps the upload id between calls, the checkpoint keeps the
bytes it accepted; against moto's ECR, which checks every part's byte range."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Generator

import boto3
import pytest

from chalicelib.replication import ecr_resumable
from chalicelib.replication.deadline import NEVER, Deadline, OutOfTime
from chalicelib.replication.sinks import EcrSink
from chalicelib.replication.upload_checkpoints import Checkpoint, Checkpoints

ACCOUNT = "123456789012"
PART = 1024


def _reader(data: bytes, reads: list[int]) -> object:
    def read(offset: int) -> Generator[bytes, None, None]:
        reads.append(offset)
        for start in range(offset, len(data), PART):
            yield data[start : start + PART]

    return read


def _after(parts: int) -> Deadline:
    """A run that has time for `parts` more parts."""
    left = [parts]

    def remaining() -> float:
        left[0] -= 1
        return 1000.0 if left[0] >= 0 else 0.0

    return Deadline(remaining, margin=1.0)


@pytest.fixture
def target(aws: dict[str, str]) -> tuple[str, Checkpoints]:
    name = f"team/big-{uuid.uuid4().hex[:8]}"
    boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName=name)
    return name, Checkpoints(f"rule-{uuid.uuid4().hex[:8]}", 0, name)


def _available(name: str, digest: str) -> bool:
    answer = boto3.client("ecr", region_name="us-east-1").batch_check_layer_availability(
        repositoryName=name, layerDigests=[digest]
    )
    return [layer["layerAvailability"] for layer in answer["layers"]] == ["AVAILABLE"]


def test_a_layer_stopped_by_the_deadline_goes_on_in_the_next_run(
    target: tuple[str, Checkpoints],
) -> None:
    name, checkpoints = target
    data = os.urandom(5 * PART + 100)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    reads: list[int] = []
    sink = EcrSink(ACCOUNT, "us-east-1", name, checkpoints, _after(2), resumable_over=PART)
    with pytest.raises(OutOfTime):
        sink.send(digest, len(data), _reader(data, reads))  # type: ignore[arg-type]
    saved = checkpoints.load(digest)
    assert saved is not None and saved.offset == 2 * PART
    assert not _available(name, digest)

    later = EcrSink(ACCOUNT, "us-east-1", name, checkpoints, NEVER, resumable_over=PART)
    later.send(digest, len(data), _reader(data, reads))  # type: ignore[arg-type]
    assert reads == [0, 2 * PART]  # the second run read S3 from where ECR stood
    assert _available(name, digest)
    assert checkpoints.load(digest) is None


def test_a_checkpoint_behind_ecr_goes_on_from_what_ecr_holds(
    target: tuple[str, Checkpoints],
) -> None:
    """A part ECR accepted just before a run ended, its checkpoint not saved: ECR refuses the
    part again, naming the last byte it holds (`lastValidByteReceived`), and the upload goes
    on from there, nothing sent twice."""
    name, checkpoints = target
    data = os.urandom(3 * PART)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    reads: list[int] = []
    with pytest.raises(OutOfTime):
        ecr_resumable.send(
            "us-east-1", ACCOUNT, name, digest, len(data), _reader(data, reads),  # type: ignore[arg-type]
            checkpoints, _after(2),
        )  # fmt: skip
    saved = checkpoints.load(digest)
    assert saved is not None
    checkpoints.save(digest, len(data), Checkpoint(saved.location, PART))  # one part behind
    ecr_resumable.send(
        "us-east-1", ACCOUNT, name, digest, len(data), _reader(data, reads),  # type: ignore[arg-type]
        checkpoints, NEVER,
    )  # fmt: skip
    assert reads == [0, PART, 2 * PART]
    assert _available(name, digest)


def test_small_layers_go_up_in_one_run_as_before(target: tuple[str, Checkpoints]) -> None:
    name, checkpoints = target
    data = os.urandom(PART // 2)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    reads: list[int] = []
    sink = EcrSink(ACCOUNT, "us-east-1", name, checkpoints, _after(0), resumable_over=PART)
    sink.send(digest, len(data), _reader(data, reads))  # type: ignore[arg-type]
    assert _available(name, digest)
    assert checkpoints.load(digest) is None
