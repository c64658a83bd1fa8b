"""The lifecycle executor against moto: each rule, indexes and referrers, the rollback
window, immutable tags, dry runs, and a push racing a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.lifecycle import executor
from chalicelib.lifecycle import store as lifecycle_policy
from chalicelib.lifecycle.document import parse_policy
from chalicelib.storage import repo_settings
from tests.api.helpers import (
    artifact,
    get_manifest,
    json_of,
    push,
    push_image,
    push_index,
)


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def set_policy(repo: str, *selections: dict[str, Any]) -> None:
    rules = [{"rulePriority": i + 1, "selection": s} for i, s in enumerate(selections)]
    lifecycle_policy.put(repo, parse_policy({"rules": rules}))


UNTAGGED_7 = {
    "tagStatus": "untagged",
    "countType": "sinceImagePushed",
    "countUnit": "days",
    "countNumber": 7,
}


def present(client: Any, repo: str, reference: str) -> bool:
    return int(get_manifest(client, repo, reference).status_code) == 200


def history(client: Any, repo: str, tag: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json_of(client.http.get(f"/v2/{repo}/_berth/history/{tag}"))[
        "history"
    ]
    return entries


def test_untagged_expire_after_n_days_and_dry_run_deletes_nothing(client: Any, repo: str) -> None:
    untagged = push_image(client, repo)
    tagged = push_image(client, repo, "v1")
    set_policy(repo, UNTAGGED_7)
    early = executor.run_repository(repo, dry_run=False, now=later(3))
    assert early.expire == [] and early.deleted == []
    dry = executor.run_repository(repo, dry_run=True, now=later(8))
    assert dry.expire == [
        {
            "digest": untagged.digest,
            "rule": "rule 1 (untagged: pushed more than 7 days ago)",
            "tags": [],
        }
    ]
    assert dry.deleted == [] and present(client, repo, untagged.digest)
    real = executor.run_repository(repo, dry_run=False, now=later(8))
    assert real.deleted == [untagged.digest]
    assert not present(client, repo, untagged.digest)
    assert present(client, repo, tagged.digest) and present(client, repo, "v1")
    events = json_of(client.http.get(f"/v2/_berth/audit?repository={repo}"))["events"]
    (expired,) = [e for e in events if e["who"] == executor.AUDIT_WHO]
    assert (expired["action"], expired["digest"]) == ("expire", untagged.digest)
    assert expired["detail"] == {"lifecycle": "rule 1 (untagged: pushed more than 7 days ago)"}


def test_keep_last_n_matching_a_pattern_deletes_their_tags(client: Any, repo: str) -> None:
    releases = [push_image(client, repo, f"release-{i}") for i in range(4)]
    dev = push_image(client, repo, "dev-1")
    set_policy(
        repo,
        {
            "tagStatus": "tagged",
            "tagPatternList": ["release-*"],
            "countType": "imageCountMoreThan",
            "countNumber": 2,
        },
    )
    run = executor.run_repository(repo, dry_run=False)
    assert sorted(run.deleted) == sorted(r.digest for r in releases[:2])
    assert {e["digest"]: e["tags"] for e in run.expire} == {
        releases[0].digest: ["release-0"],
        releases[1].digest: ["release-1"],
    }
    assert not present(client, repo, "release-0") and present(client, repo, "release-3")
    assert present(client, repo, "dev-1") and present(client, repo, dev.digest)
    (move, *_) = history(client, repo, "release-0")
    assert (move["action"], move["from"], move["to"], move["actor"]) == (
        "expire",
        releases[0].digest,
        None,
        executor.AUDIT_WHO,  # the same actor the audit names
    )


def test_since_pushed_and_since_pulled(client: Any, repo: str) -> None:
    pulled = push_image(client, repo, "pulled")
    idle = push_image(client, repo, "idle")
    set_policy(
        repo,
        {
            "tagStatus": "any",
            "countType": "sinceImagePulled",
            "countUnit": "days",
            "countNumber": 30,
        },
    )
    # A pull 20 days from now is recorded (the clock of the pull is injectable).
    from chalicelib.storage import pulls

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pulls, "now", lambda: later(20))
        assert present(client, repo, "pulled")
    run = executor.run_repository(repo, dry_run=True, now=later(40))
    assert [e["digest"] for e in run.expire] == [idle.digest]
    set_policy(
        repo,
        {
            "tagStatus": "any",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 30,
        },
    )
    run = executor.run_repository(repo, dry_run=True, now=later(40))
    assert sorted(e["digest"] for e in run.expire) == sorted([pulled.digest, idle.digest])


def test_children_of_a_kept_index_stay_and_an_expired_index_goes_first(
    client: Any, repo: str
) -> None:
    kept, kept_children = push_index(client, repo, "multi")
    gone, gone_children = push_index(client, repo)  # untagged index
    set_policy(repo, UNTAGGED_7)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert sorted(run.deleted) == sorted([gone.digest, *(c.digest for c in gone_children)])
    assert run.deleted[0] == gone.digest, "the index before its children"
    assert {k["digest"] for k in run.kept} == {c.digest for c in kept_children}
    assert all(k["why"] == f"child of kept index {kept.digest}" for k in run.kept)
    for child in kept_children:
        assert present(client, repo, child.digest)


def test_referrers_of_a_kept_manifest_stay_with_it(client: Any, repo: str) -> None:
    subject = push_image(client, repo, "v1")
    signature = artifact(subject=subject, artifact_type="application/vnd.example.signature")
    push(client, repo, signature)
    old_subject = push_image(client, repo)
    sbom = artifact(subject=old_subject)
    push(client, repo, sbom)
    set_policy(repo, UNTAGGED_7)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert sorted(run.deleted) == sorted([old_subject.digest, sbom.digest])
    assert run.deleted.index(old_subject.digest) < run.deleted.index(sbom.digest)
    assert run.kept == [
        {"digest": signature.digest, "why": f"referrer of kept manifest {subject.digest}"}
    ]
    referrers = json_of(client.http.get(f"/v2/{repo}/referrers/{subject.digest}"))
    assert [m["digest"] for m in referrers["manifests"]] == [signature.digest]
    assert json_of(client.http.get(f"/v2/{repo}/referrers/{old_subject.digest}"))["manifests"] == []


def test_rollback_window_is_respected_and_configurable(client: Any, repo: str) -> None:
    pushed = [push_image(client, repo, "prod") for _ in range(4)]  # prod moved 3 times
    set_policy(repo, UNTAGGED_7)
    repo_settings.put(repo, False, (), rollback_window=2)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert run.rollback_window == 2
    assert run.deleted == [pushed[0].digest]  # the two earlier targets stay for rollback
    assert sorted(k["digest"] for k in run.kept) == sorted(p.digest for p in pushed[1:3])
    assert {k["why"] for k in run.kept} == {"inside a tag's rollback window"}
    rolled = client.http.post(f"/v2/{repo}/_berth/rollback/prod", body=b"")
    assert json_of(rolled)["to"] == pushed[2].digest
    rolled = client.http.post(f"/v2/{repo}/_berth/rollback/prod", body=b"")
    assert json_of(rolled)["to"] == pushed[1].digest
    # The default window keeps them all.
    other = f"{repo}-default"
    older = [push_image(client, other, "prod") for _ in range(3)]
    set_policy(other, UNTAGGED_7)
    assert executor.run_repository(other, dry_run=False, now=later(8)).deleted == []
    assert present(client, other, older[0].digest)


def test_an_immutable_tag_pins_its_manifest(client: Any, repo: str) -> None:
    pinned = push_image(client, repo, "v1")
    push_image(client, repo, "v2")
    repo_settings.put(repo, True, ())
    set_policy(
        repo,
        {
            "tagStatus": "tagged",
            "tagPatternList": ["v*"],
            "countType": "imageCountMoreThan",
            "countNumber": 1,
        },
    )
    run = executor.run_repository(repo, dry_run=False)
    assert run.deleted == [] and present(client, repo, pinned.digest)
    assert run.kept[0]["why"] == "pinned (an immutable tag points at it)"


def test_a_push_during_the_run_keeps_its_manifest(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run reads, then a client tags the expiring manifest (re-push, rollback --to) or
    pushes an index over it, then the run deletes: the conditional delete refuses."""
    retagged = push_image(client, repo)
    rolled_to = push_image(client, repo)
    child = push_image(client, repo)
    untouched = push_image(client, repo)
    set_policy(repo, UNTAGGED_7)
    real_read = executor.read

    def read_then_push(name: str) -> executor.Snapshot:
        snapshot = real_read(name)
        push(client, repo, retagged, "fresh")
        client.http.post(f"/v2/{repo}/_berth/rollback/back?to={rolled_to.digest}", body=b"")
        from tests.api.helpers import index

        push(client, repo, index([child]), "multi")
        return snapshot

    monkeypatch.setattr(executor, "read", read_then_push)
    run = executor.run_repository(repo, dry_run=False, now=later(8))
    assert run.deleted == [untouched.digest]
    assert {s["digest"] for s in run.skipped} == {retagged.digest, rolled_to.digest, child.digest}
    assert all(s["why"] == executor.CHANGED for s in run.skipped)
    for digest, tag in ((retagged.digest, "fresh"), (rolled_to.digest, "back")):
        assert present(client, repo, digest) and present(client, repo, tag)
    assert present(client, repo, child.digest) and present(client, repo, "multi")


def test_an_index_pushed_after_its_child_was_expired_is_refused(client: Any, repo: str) -> None:
    from tests.api.helpers import assert_error, index, put_manifest

    child = push_image(client, repo)
    set_policy(repo, UNTAGGED_7)
    assert executor.run_repository(repo, dry_run=False, now=later(8)).deleted == [child.digest]
    late = index([child])
    response = put_manifest(client, repo, "multi", late.body, late.media_type)
    assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")


def test_no_policy_does_nothing_and_run_all_covers_every_repository(client: Any, repo: str) -> None:
    push_image(client, repo)
    other = f"{repo}-b"
    gone = push_image(client, other)
    set_policy(other, UNTAGGED_7)
    report = executor.run_all(dry_run=True, now=later(8))
    names = [r.name for r in report.repositories]
    assert other in names and repo not in names
    (mine,) = [r for r in report.repositories if r.name == other]
    assert [e["digest"] for e in mine.expire] == [gone.digest]
    assert report.complete and report.document()["expire"] >= 1
