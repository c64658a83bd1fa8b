"""Which S3 read window a blob is sent in (chalicelib/replication/sinks.py): a resumable
upload sends a PATCH per window, so it takes RESUMABLE_PATCH (a round trip, a checkpoint
and a destination request each: 8 MiB was measured 1.37x skopeo's time on one 640 MiB
layer, 16 MiB 0.97x); every other upload streams and keeps the copy's window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.remote.session import RemoteRegistry
from chalicelib.replication.sinks import RESUMABLE_OVER, RESUMABLE_PATCH, EcrSink, RegistrySink
from chalicelib.replication.upload_checkpoints import Checkpoints

KEPT = Checkpoints("rule1", 0, "team/app")


@given(st.integers(0, 4 * RESUMABLE_OVER))
def test_only_a_resumable_upload_takes_the_larger_window(size: int) -> None:
    registry = RemoteRegistry("https://registry.test")
    resumable = RegistrySink(registry, "team/app", KEPT)
    expected = RESUMABLE_PATCH if size > RESUMABLE_OVER else None
    assert resumable.window(size) == expected
    assert resumable.twin().window(size) == expected
    assert RegistrySink(registry, "team/app").window(size) is None  # no checkpoints: streamed
    assert EcrSink("123456789012", "us-east-1", "team-app").window(size) is None
