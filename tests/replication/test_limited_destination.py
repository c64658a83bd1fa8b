"""A destination that refuses large request bodies (a Berth stage on Lambda takes 6 MB; here
`berth serve --lambda-limits`, the same refusal): the copy is sent again as PATCHes of 4 MiB,
and the blob arrives whole. Found by the replication bench's author: every layer over about
4.2 MiB failed with 413 before."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Generator, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.remote import uploads
from chalicelib.remote.session import RemoteRegistry
from chalicelib.replication.sinks import STREAMED_OVER, RegistrySink
from tests.e2e.support import Registry
from tests.push.conftest import limited  # noqa: F401 (a fixture: berth serve --lambda-limits)

WINDOW = 8 << 20  # what the copier reads from S3 at a time


def _reader(data: bytes) -> object:
    def read(offset: int) -> Generator[bytes, None, None]:
        for start in range(offset, len(data), WINDOW):
            yield data[start : start + WINDOW]

    return read


@pytest.mark.e2e
@pytest.mark.parametrize("size", [10 << 20, STREAMED_OVER + (3 << 20)])
def test_a_layer_over_the_request_limit_arrives_in_small_patches(
    limited: Registry,  # noqa: F811
    size: int,
) -> None:
    data = os.urandom(size)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    sink = RegistrySink(RemoteRegistry(f"http://{limited.host}"), "team/limited")
    sink.send(digest, size, _reader(data))  # type: ignore[arg-type]
    answer = limited.request("HEAD", f"/v2/team/limited/blobs/{digest}")
    assert answer.status == 200
    assert int(answer.headers["Content-Length"]) == size


@given(st.lists(st.binary(max_size=50), max_size=30), st.integers(1, 40))
def test_pieces_keep_the_bytes_and_their_size(chunks: list[bytes], size: int) -> None:
    cut: Iterator[bytes] = uploads.pieces(chunks, size)
    out = list(cut)
    assert b"".join(out) == b"".join(chunks)
    assert all(len(piece) == size for piece in out[:-1])
    assert not out or 0 < len(out[-1]) <= size
