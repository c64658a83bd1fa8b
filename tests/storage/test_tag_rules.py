"""Storage-level rollback and immutability: races with settings changes and with each other."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from chalicelib.api.storage_errors import as_oci_error
from chalicelib.oci.digest import compute, parse_digest
from chalicelib.oci.manifest import parse_manifest
from chalicelib.rules.immutability import TagRules
from chalicelib.storage import manifests, repo_settings, tags
from chalicelib.storage import tag_rollback as rollback
from chalicelib.storage.errors import StorageError
from tests.storage.test_concurrency import _together

MT = "application/vnd.oci.image.manifest.v1+json"
EMPTY = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def _manifest(repo: str, n: int, tag: str | None = "v") -> str:
    """Store an (unverified) artifact manifest with no blobs; its digest."""
    document = {
        "schemaVersion": 2,
        "mediaType": MT,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 2},
        "layers": [],
        "annotations": {"n": str(n)},
    }
    body = json.dumps(document).encode()
    digest = compute(body)
    manifests.put(repo, digest, parse_manifest(body, MT), body, [tag] if tag else [])
    return str(digest)


def _stale_rules_once(monkeypatch: pytest.MonkeyPatch, repo: str) -> None:
    """The first read of the rules answers the old ones, then the rules change (a race)."""
    real = repo_settings.get
    calls = itertools.count()

    def racing(name: str) -> TagRules:
        rules = real(name)
        if next(calls) == 0:
            repo_settings.put(repo, True, ())
        return rules

    monkeypatch.setattr(repo_settings, "get", racing)


def test_push_racing_a_settings_change_is_refused(
    aws: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _manifest(repo, 1)
    _stale_rules_once(monkeypatch, repo)
    with pytest.raises(StorageError) as raised:
        _manifest(repo, 2)
    assert as_oci_error(raised.value).code == "DENIED"
    current = tags.get(repo, "v")
    assert current is not None and current.digest == first
    assert len(tags.history(repo, "v")) == 1


def test_delete_and_rollback_racing_a_settings_change_are_refused(
    aws: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _manifest(repo, 1)
    second = _manifest(repo, 2)
    _stale_rules_once(monkeypatch, repo)
    with pytest.raises(StorageError) as raised:
        rollback.rollback(repo, "v")
    assert as_oci_error(raised.value).code == "DENIED"
    with pytest.raises(StorageError) as raised:
        tags.delete(repo, "v")
    assert as_oci_error(raised.value).code == "DENIED"
    current = tags.get(repo, "v")
    assert current is not None and current.digest == second


def test_concurrent_rollbacks_each_take_one_step(aws: Any, repo: str) -> None:
    digests = [_manifest(repo, i) for i in range(6)]
    results = _together(*(lambda: rollback.rollback(repo, "v") for _ in range(3)))
    assert all(isinstance(r, rollback.Rolled) and r.moved for r in results), results
    assert sorted(r.to_digest for r in results) == sorted(digests[2:5])
    current = tags.get(repo, "v")
    assert current is not None and current.digest == digests[2]
    chain = [(h.from_digest, h.to_digest) for h in tags.history(repo, "v")]
    for (_, previous_to), (next_from, _) in itertools.pairwise(chain):
        assert next_from == previous_to


def test_rollback_racing_pushes_keeps_one_chain(aws: Any, repo: str) -> None:
    for i in range(3):
        _manifest(repo, i)
    extra = [_manifest(repo, 10 + i, tag=None) for i in range(3)]
    work = [lambda: rollback.rollback(repo, "v") for _ in range(2)]
    work += [
        lambda d=d: tags.move(repo, "v", parse_digest(d), MT, b"{}")  # type: ignore[misc]
        for d in extra
    ]
    results = _together(*work)
    assert not any(isinstance(r, Exception) for r in results), results
    chain = [(h.from_digest, h.to_digest) for h in tags.history(repo, "v")]
    assert len(chain) == 3 + len(work)
    for (_, previous_to), (next_from, _) in itertools.pairwise(chain):
        assert next_from == previous_to
    current = tags.get(repo, "v")
    assert current is not None and current.digest == chain[-1][1]


def test_a_move_from_a_stale_read_fails_even_if_the_tag_came_back(aws: Any, repo: str) -> None:
    """ABA: the tag moved away and back to the digest the stale read saw. A move staged from
    that read must still fail, or its history entry would sort before the moves it missed."""
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.storage.transactions import transaction

    first, second = _manifest(repo, 1), _manifest(repo, 2)
    third = _manifest(repo, 3, tag=None)
    stale = tags.get(repo, "v")
    assert stale is not None and stale.digest == second
    assert tags.move(repo, "v", parse_digest(first), MT, b"{}")
    assert tags.move(repo, "v", parse_digest(second), MT, b"{}")  # back where the stale read saw it
    with pytest.raises(TransactWriteError), transaction() as tx:
        tags.stage_move(tx, repo, "v", stale, parse_digest(third), MT, b"{}", None)
    current = tags.get(repo, "v")
    assert current is not None and current.digest == second
    chain = [(h.from_digest, h.to_digest) for h in tags.history(repo, "v")]
    assert chain == [(None, first), (first, second), (second, first), (first, second)]


def test_history_times_never_go_backwards(aws: Any, repo: str, monkeypatch: Any) -> None:
    from datetime import timedelta

    from chalicelib.storage import clock

    first = _manifest(repo, 1)
    real = clock.now
    monkeypatch.setattr(tags, "now", lambda: real() - timedelta(seconds=5))  # a slow clock
    second = _manifest(repo, 2)
    chain = [(h.from_digest, h.to_digest) for h in tags.history(repo, "v")]
    assert chain == [(None, first), (first, second)]
