"""The lifecycle due index against moto: a repository untouched since its plan is not read
again; pushes, deletes, tag moves, policy and settings puts make it due; a push during
planning is not lost; an age rule makes it due at the computed time; the first run after an
upgrade plans everything; the daily run's calls are constant without changes and linear in
them; and over random registries and days the incremental run deletes exactly what planning
every repository every day does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.awscalls import recording
from chalicelib.lifecycle import executor, index, schedule
from chalicelib.lifecycle import store as lifecycle_policy
from chalicelib.lifecycle.document import parse_policy
from chalicelib.storage import clock, keys, lifecycle_due, repo_settings
from chalicelib.storage.models import LifecycleDueItem, LifecycleIndexItem
from tests.api.helpers import get_manifest, image, push, push_blob, push_image, put_manifest

T0 = datetime(2031, 3, 1, tzinfo=UTC)

UNTAGGED_7 = {
    "tagStatus": "untagged",
    "countType": "sinceImagePushed",
    "countUnit": "days",
    "countNumber": 7,
}
KEEP_2 = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2}
KEEP_10 = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}
NOT_PULLED_3 = {
    "tagStatus": "tagged",
    "tagPatternList": ["v*"],
    "countType": "sinceImagePulled",
    "countUnit": "days",
    "countNumber": 3,
}


def set_policy(repo: str, *selections: dict[str, Any]) -> None:
    rules = [{"rulePriority": i + 1, "selection": s} for i, s in enumerate(selections)]
    lifecycle_policy.put(repo, parse_policy({"rules": rules}))


def drain() -> None:
    """Forget every entry other tests' repositories left in the shared table."""
    for shard in range(keys.LIFECYCLE_DUE_SHARDS):
        for item in LifecycleDueItem.query(f"{keys.LIFECYCLE_DUE_PREFIX}{shard}"):
            item.delete()


@pytest.fixture
def at(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An empty index and a clock the test moves (pushes and pulls are stamped by it)."""
    moment = [T0]
    monkeypatch.setattr(clock, "source", lambda: moment[0])
    drain()

    def set_to(value: datetime) -> None:
        moment[0] = value

    yield set_to
    drain()


def planned(moment: datetime) -> list[str]:
    return [r.name for r in executor.run_due(now=moment).repositories]


def entry(repo: str) -> LifecycleDueItem:
    return LifecycleDueItem.get(keys.lifecycle_due_pk(repo), repo, consistent_read=True)


def present(client: Any, repo: str, digest: str) -> bool:
    return int(get_manifest(client, repo, digest).status_code) == 200


def test_untouched_repository_is_not_read_again_and_a_push_makes_it_due(
    client: Any, repo: str, at: Any
) -> None:
    push_image(client, repo, "v1")
    set_policy(repo, KEEP_2)
    assert planned(T0) == [repo]
    assert entry(repo).due is None  # a count rule alone: only a change makes it due
    with recording() as recorder, recorder.window() as tally:
        assert planned(T0 + timedelta(days=30)) == []
    reads = [c.describe() for c in tally.calls]
    assert reads == ["dynamodb:Query"] * keys.LIFECYCLE_DUE_SHARDS  # not the repository
    push_image(client, repo, "v2")
    assert planned(T0 + timedelta(days=31)) == [repo]
    assert planned(T0 + timedelta(days=32)) == []


def test_deletes_tag_moves_policy_and_settings_make_it_due(client: Any, repo: str, at: Any) -> None:
    first = push_image(client, repo, "v1")
    second = push_image(client, repo, "v2")
    set_policy(repo, KEEP_2)
    assert planned(T0) == [repo]
    changes: list[Callable[[], object]] = [
        lambda: client.http.delete(f"/v2/{repo}/manifests/v2"),  # a tag deleted
        lambda: push(client, repo, first, "v3"),  # a tag moved onto a present manifest
        lambda: client.http.delete(f"/v2/{repo}/manifests/{second.digest}"),
        lambda: set_policy(repo, KEEP_2, UNTAGGED_7),
        lambda: repo_settings.put(repo, immutable=True, exclude=()),
    ]
    for day, change in enumerate(changes, start=1):
        change()
        assert planned(T0 + timedelta(hours=day)) == [repo], day
        assert planned(T0 + timedelta(hours=day, minutes=1)) == [], day


def test_a_policy_removed_drops_the_entry(client: Any, repo: str, at: Any) -> None:
    push_image(client, repo, "v1")
    set_policy(repo, KEEP_2)
    assert planned(T0) == [repo]
    lifecycle_policy.put(repo, [])
    assert planned(T0 + timedelta(hours=1)) == []
    with pytest.raises(LifecycleDueItem.DoesNotExist):
        entry(repo)


def test_a_push_during_planning_is_not_lost(
    client: Any, repo: str, at: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_image(client, repo, "v1")
    set_policy(repo, KEEP_2)
    real_read = executor.read
    pushed: list[str] = []

    def read_then_push(name: str) -> Any:
        snapshot = real_read(name)
        if not pushed:  # after the snapshot, before the reset
            pushed.append(push_image(client, repo, "v2").digest)
        return snapshot

    monkeypatch.setattr(executor, "read", read_then_push)
    assert planned(T0) == [repo] and pushed
    assert entry(repo).due == 0  # the reset was refused: still due
    monkeypatch.setattr(executor, "read", real_read)
    run = executor.run_due(now=T0 + timedelta(minutes=1))
    assert [(r.name, r.manifests) for r in run.repositories] == [(repo, 2)]
    assert planned(T0 + timedelta(minutes=2)) == []


def test_an_age_rule_makes_it_due_at_the_computed_time(client: Any, repo: str, at: Any) -> None:
    untagged = push_image(client, repo)
    at(T0 + timedelta(days=2))
    later = push_image(client, repo)
    push_image(client, repo, "v1")
    set_policy(repo, UNTAGGED_7)
    assert planned(T0 + timedelta(days=2)) == [repo]
    assert entry(repo).due == index.epoch(T0 + timedelta(days=7))
    assert planned(T0 + timedelta(days=7) - timedelta(seconds=1)) == []
    run = executor.run_due(now=T0 + timedelta(days=7, seconds=1))
    assert [r.deleted for r in run.repositories] == [[untagged.digest]]
    assert entry(repo).due == index.epoch(T0 + timedelta(days=9))
    assert not present(client, repo, untagged.digest) and present(client, repo, later.digest)


def test_a_pull_seen_gives_an_early_due_time_never_a_late_one(
    client: Any, repo: str, at: Any
) -> None:
    pushed = push_image(client, repo, "v1")
    set_policy(repo, NOT_PULLED_3)
    assert planned(T0) == [repo]
    assert entry(repo).due == index.epoch(T0 + timedelta(days=3))
    at(T0 + timedelta(days=2))
    assert present(client, repo, "v1")  # a pull: expiry moves to day 5
    run = executor.run_due(now=T0 + timedelta(days=3, seconds=1))
    assert [(r.name, r.deleted) for r in run.repositories] == [(repo, [])]  # early: re-planned
    assert entry(repo).due == index.epoch(T0 + timedelta(days=5))
    run = executor.run_due(now=T0 + timedelta(days=5, seconds=1))
    assert [r.deleted for r in run.repositories] == [[pushed.digest]]


def test_first_scheduled_run_plans_everything_then_only_what_is_due(
    client: Any, repo: str, at: Any
) -> None:
    for item in LifecycleIndexItem.query(keys.LIFECYCLE_INDEX_PK):
        item.delete()
    push_image(client, repo, "v1")
    set_policy(repo, KEEP_2)
    drain()  # as after an upgrade: a policy, no entry
    assert not index.complete()
    first = schedule.scheduled()
    assert repo in [r.name for r in first.repositories] and first.complete
    assert index.complete() and entry(repo).bumps == 0
    assert repo not in [r.name for r in schedule.scheduled().repositories]


def test_daily_calls_are_constant_without_changes_and_linear_in_changes(
    client: Any, at: Any
) -> None:
    repos = [f"test/due-{i}-{uuid.uuid4().hex[:8]}" for i in range(6)]
    for name in repos:
        push_image(client, name, "v1")
        set_policy(name, KEEP_10)  # plans that delete nothing: only the index's calls vary
    assert sorted(planned(T0)) == sorted(repos)
    with recording() as recorder:
        with recorder.window() as idle:
            assert planned(T0 + timedelta(days=1)) == []
        for k in (1, 3):
            for name in repos[:k]:
                push_image(client, name, "v2")
            with recorder.window() as busy:
                assert len(planned(T0 + timedelta(days=2 + k))) == k
            operations = sorted(c.describe() for c in busy.calls)
            # The shards; one BatchGetItem of the policies; per changed repository one
            # Query (its snapshot) and one UpdateItem (its reset).
            assert operations == sorted(
                ["dynamodb:Query"] * (keys.LIFECYCLE_DUE_SHARDS + k)
                + [f"dynamodb:BatchGetItem{f'[{k} items]' if k > 1 else ''}"]
                + ["dynamodb:UpdateItem"] * k
            ), operations
    assert [c.describe() for c in idle.calls] == ["dynamodb:Query"] * keys.LIFECYCLE_DUE_SHARDS


def test_a_push_adds_an_item_to_its_transaction_not_a_call(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same push, with and without the due entry staged: the same calls, one more item
    in its one transaction (berth/cost/calls.py prices the manifest PUT with it)."""
    push_image(client, repo, "v1")

    def push_counted(tag: str) -> list[str]:
        manifest = image()
        for blob in manifest.blobs:
            push_blob(client, repo, blob)
        with recording() as recorder, recorder.window() as tally:
            put_manifest(client, repo, tag, manifest.body, manifest.media_type)
        return [c.describe() for c in tally.calls]

    with_entry = push_counted("v2")
    assert entry(repo).due == 0
    monkeypatch.setattr(lifecycle_due, "stage_changed", lambda tx, name: None)
    without = push_counted("v3")
    assert [c.split("[")[0] for c in with_entry] == [c.split("[")[0] for c in without]
    (staged,) = [c for c in with_entry if c.startswith("dynamodb:TransactWriteItems")]
    (bare,) = [c for c in without if c.startswith("dynamodb:TransactWriteItems")]
    assert int(staged.split("[")[1].split()[0]) == int(bare.split("[")[1].split()[0]) + 1


RULE_SETS = [[UNTAGGED_7], [KEEP_2], [NOT_PULLED_3], [NOT_PULLED_3, UNTAGGED_7]]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rules=st.sampled_from(RULE_SETS),
    events=st.lists(
        st.tuples(
            st.integers(0, 11),  # day
            st.integers(0, 23),  # hour
            st.sampled_from(["push", "tag", "pull"]),
            st.integers(0, 3),  # which image / tag
        ),
        max_size=10,
    ),
)
def test_incremental_daily_run_deletes_what_planning_everything_daily_does(
    client: Any, at: Any, rules: list[dict[str, Any]], events: list[tuple[int, int, str, int]]
) -> None:
    drain()
    suffix = uuid.uuid4().hex[:12]
    incremental = f"test/inc-{suffix}"
    planned_daily = f"test/all-{suffix}"
    images = [image() for _ in range(4)]
    at(T0)
    for name in (incremental, planned_daily):
        push(client, name, images[0], "v0")
        set_policy(name, *rules)
    drain()  # only the incremental repository is in the index: the other is planned daily
    with LifecycleDueItem.batch_write() as batch:
        batch.save(LifecycleDueItem(keys.lifecycle_due_pk(incremental), incremental, due=0))
    by_day: dict[int, list[tuple[int, str, int]]] = {}
    for day, hour, what, which in events:
        by_day.setdefault(day, []).append((hour, what, which))
    for day in range(14):
        for hour, what, which in sorted(by_day.get(day, [])):
            at(T0 + timedelta(days=day, hours=hour))
            for name in (incremental, planned_daily):
                if what == "push":
                    push(client, name, images[which])
                elif what == "tag":
                    push(client, name, images[which], f"v{which}")
                else:
                    get_manifest(client, name, images[which].digest)
        if planned_daily in {
            item.sk
            for s in range(keys.LIFECYCLE_DUE_SHARDS)
            for item in LifecycleDueItem.query(f"{keys.LIFECYCLE_DUE_PREFIX}{s}")
        }:
            lifecycle_due.entry(planned_daily).delete()
        moment = T0 + timedelta(days=day, hours=23, minutes=59)
        at(moment)
        executor.run_due(now=moment)
        executor.run_repository(planned_daily, dry_run=False, now=moment)
        kept = [
            [present(client, name, m.digest) for m in images]
            for name in (incremental, planned_daily)
        ]
        assert kept[0] == kept[1], (day, kept)
