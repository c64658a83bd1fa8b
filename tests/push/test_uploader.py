"""StandardUploader against an in-memory registry: chunk sizes, retries after a lost chunk or a
lost answer, resuming a recorded session, and memory (one chunk at a time)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from berth.push.content import Blob, FileRange, sha256_bytes
from berth.push.errors import ExitCode, PushError
from berth.push.progress import Progress
from berth.push.registry import UploadSession
from berth.push.state import PushState
from berth.push.uploader import DEFAULT_CHUNK_SIZE, StandardUploader

KiB = 1024


class MemoryRegistry:
    """The Registry calls the uploader makes, storing sessions in memory. `fail` lists the
    PATCH numbers (1-based) that fail: 'before' (nothing stored) or 'after' (stored, answer
    lost)."""

    def __init__(self, chunk_min: int | None = None, fail: dict[int, str] | None = None) -> None:
        self.chunk_min = chunk_min
        self.fail = fail or {}
        self.sessions: dict[str, bytearray] = {}
        self.blobs: dict[str, bytes] = {}
        self.patches: list[int] = []
        self.monolithic = 0

    def open_session(self) -> UploadSession:
        location = f"/upload/{len(self.sessions)}"
        self.sessions[location] = bytearray()
        return UploadSession(location, self.chunk_min)

    def offset(self, location: str) -> int | None:
        data = self.sessions.get(location)
        return None if data is None else len(data)

    def cancel(self, location: str) -> None:
        self.sessions.pop(location, None)

    def patch(self, location: str, data: bytes, start: int) -> tuple[str, int]:
        self.patches.append(len(data))
        mode = self.fail.get(len(self.patches))
        if mode == "before":
            raise PushError(ExitCode.NETWORK, "connection reset")
        stored = self.sessions[location]
        if start != len(stored):
            raise PushError(ExitCode.REFUSED, "416 range")
        stored.extend(data)
        if mode == "after":
            raise PushError(ExitCode.NETWORK, "connection reset")
        return location, len(stored)

    def finish(
        self,
        location: str,
        digest: str,
        body: Any = None,
        length: int = 0,
        start: int | None = None,
    ) -> None:
        stored = self.sessions.pop(location)
        if body is not None:
            if hasattr(body, "read"):
                self.monolithic += 1
                body = body.read()
            assert start in (None, len(stored))
            stored.extend(body)
        assert sha256_bytes(bytes(stored)) == digest
        self.blobs[digest] = bytes(stored)


def blob_of(tmp_path: Path, size: int) -> tuple[Blob, bytes]:
    data = os.urandom(size)
    path = tmp_path / "blob"
    path.write_bytes(b"prefix" + data)  # a range inside a bigger file, as in a tar
    return Blob(sha256_bytes(data), size, "x", FileRange(path, 6, size)), data


def uploader(registry: MemoryRegistry, tmp_path: Path, chunk: int | None) -> StandardUploader:
    state = PushState(tmp_path / "state", "http://r", "repo")
    progress = Progress(io.StringIO(), 0, quiet=True)
    return StandardUploader(registry, state, progress, chunk_size=chunk)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("chunk_min", "option", "expected"),
    [
        (None, None, 0),  # registry asks for nothing: one request
        (1024 * KiB, None, DEFAULT_CHUNK_SIZE),
        (8 * 1024 * KiB, None, 8 * 1024 * KiB),
        (None, 0, 0),
        (None, 64 * KiB, 64 * KiB),
        (128 * KiB, 64 * KiB, 128 * KiB),
    ],
)
def test_chunk_size(
    tmp_path: Path, chunk_min: int | None, option: int | None, expected: int
) -> None:
    assert uploader(MemoryRegistry(), tmp_path, option)._chunk(chunk_min) == expected


def test_monolithic_when_registry_asks_nothing(tmp_path: Path) -> None:
    blob, data = blob_of(tmp_path, 300 * KiB)
    registry = MemoryRegistry()
    uploader(registry, tmp_path, None).upload(blob, None)
    assert registry.blobs[blob.digest] == data and registry.monolithic == 1


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_lost_chunk_or_answer_is_retried_from_the_registrys_offset(
    tmp_path: Path, mode: str
) -> None:
    blob, data = blob_of(tmp_path, 250 * KiB)
    registry = MemoryRegistry(chunk_min=64 * KiB, fail={2: mode})
    uploader(registry, tmp_path, 64 * KiB).upload(blob, None)
    assert registry.blobs[blob.digest] == data
    assert max(registry.patches) == 64 * KiB  # never more than a chunk in one request


def test_too_many_failures_keep_the_session_for_a_rerun(tmp_path: Path) -> None:
    blob, data = blob_of(tmp_path, 250 * KiB)
    registry = MemoryRegistry(chunk_min=64 * KiB, fail={n: "before" for n in range(2, 10)})
    with pytest.raises(PushError) as error:
        uploader(registry, tmp_path, 64 * KiB).upload(blob, None)
    assert error.value.code is ExitCode.NETWORK
    registry.fail = {}
    again = uploader(registry, tmp_path, 64 * KiB)
    assert again.state.upload(blob.digest) == ("/upload/0", 64 * KiB, 64 * KiB)
    again.upload(blob, registry.open_session())  # the recorded session wins over a new one
    assert registry.blobs[blob.digest] == data
    assert sum(registry.patches) < 2 * blob.size
    assert again.state.upload(blob.digest) is None


def test_a_session_the_registry_forgot_starts_over(tmp_path: Path) -> None:
    blob, data = blob_of(tmp_path, 100 * KiB)
    registry = MemoryRegistry(chunk_min=64 * KiB)
    first = uploader(registry, tmp_path, 64 * KiB)
    first.state.record_upload(blob.digest, "/upload/gone", 64 * KiB, 64 * KiB)
    first.upload(blob, None)
    assert registry.blobs[blob.digest] == data
