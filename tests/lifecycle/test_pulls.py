"""Last-pull tracking: a GET writes the pull time at most once a day per manifest and per
tag (the clock is injectable), steady pulls stay one GetItem, HEAD never writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.awscalls import Recorder, recording
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import pulls
from chalicelib.storage.models import ManifestItem, TagItem, repo_pk
from tests.api.helpers import get_manifest, head_manifest, push_image

T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    moment = [T0]
    monkeypatch.setattr(pulls, "now", lambda: moment[0])

    def set_to(value: datetime) -> None:
        moment[0] = value

    return set_to


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """Counts the pulls' calls, with the registry policy's 10 s cache clock held still: a
    refresh landing inside a counted window (a slow, parallel run) is not a pull's call."""
    from chalicelib.storage import trust_policy

    frozen = trust_policy.monotonic()
    monkeypatch.setattr(trust_policy, "monotonic", lambda: frozen)
    with recording() as active:
        yield active


def recorded(repo: str, digest: str, tag: str | None = None) -> tuple[Any, Any]:
    manifest = ManifestItem.get(repo_pk(repo), f"M#{digest}").last_pulled
    pulled = TagItem.get(repo_pk(repo), f"T#{tag}").pulled_at if tag else None
    return manifest, pulled


def pull(client: Any, recorder: Recorder, repo: str, reference: str) -> list[str]:
    with recorder.window() as tally:
        assert get_manifest(client, repo, reference).status_code == 200
    return [c.operation for c in tally.of("dynamodb")]


def test_pulls_write_at_most_once_a_day(
    client: Any, repo: str, clock: Any, recorder: Recorder
) -> None:
    pushed = push_image(client, repo, "v1")
    assert recorded(repo, pushed.digest, "v1") == (None, None)
    assert pull(client, recorder, repo, "v1") == ["GetItem", "TransactWriteItems"]
    assert recorded(repo, pushed.digest, "v1") == (T0, T0)
    for hours in (1, 12, 23.9):
        clock(T0 + timedelta(hours=hours))
        assert pull(client, recorder, repo, "v1") == ["GetItem"], "steady pulls: one read"
        assert pull(client, recorder, repo, pushed.digest) == ["GetItem"]
    assert recorded(repo, pushed.digest, "v1") == (T0, T0)
    next_day = T0 + timedelta(hours=24, minutes=1)
    clock(next_day)
    assert pull(client, recorder, repo, pushed.digest) == ["GetItem", "UpdateItem"]
    assert recorded(repo, pushed.digest, "v1") == (next_day, T0)
    assert pull(client, recorder, repo, "v1") == ["GetItem", "TransactWriteItems"]
    assert pull(client, recorder, repo, "v1") == ["GetItem"]
    assert recorded(repo, pushed.digest, "v1") == (next_day, next_day)


def test_head_is_not_a_pull_and_a_moved_tag_records_again(
    client: Any, repo: str, clock: Any, recorder: Recorder
) -> None:
    first = push_image(client, repo, "v1")
    with recorder.window() as tally:
        assert head_manifest(client, repo, "v1").status_code == 200
        assert head_manifest(client, repo, first.digest).status_code == 200
    assert [c.operation for c in tally.calls] == ["GetItem", "GetItem"]
    assert recorded(repo, first.digest, "v1") == (None, None)
    pull(client, recorder, repo, "v1")
    second = push_image(client, repo, "v1")
    clock(T0 + timedelta(hours=1))
    assert pull(client, recorder, repo, "v1") == ["GetItem", "TransactWriteItems"]
    assert recorded(repo, second.digest, "v1") == (T0 + timedelta(hours=1),) * 2
    assert recorded(repo, first.digest) == (T0, None)


def test_the_conditional_write_never_records_twice(client: Any, repo: str, clock: Any) -> None:
    """Two pulls that both read a stale time: the second's condition refuses its write."""
    pushed = push_image(client, repo, "v1")
    digest = parse_digest(pushed.digest)
    assert pulls.record(repo, digest, None, "v1")
    clock(T0 + timedelta(hours=2))
    assert not pulls.record(repo, digest, None, "v1")
    assert not pulls.record(repo, digest, None, None)
    assert recorded(repo, pushed.digest, "v1") == (T0, T0)
    assert not pulls.record(repo, parse_digest("sha256:" + "0" * 64), None, None), (
        "no such manifest"
    )
