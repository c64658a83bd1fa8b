"""Apply lifecycle policies: read a repository, plan with the pure model, delete what the
plan expires — or, in a dry run, only say what it would delete and by which rule.

Reads per repository: its policy item (one BatchGetItem per 100 repositories in a
registry-wide run), then one query over its partition (lifecycle/snapshot.py); the plan is
lifecycle/planning.py, the conditional deletes lifecycle/deleter.py, the documents answered
lifecycle/reports.py, the daily run lifecycle/schedule.py.

When a run deleted manifests in a repository, it then unlinks the blob links no remaining
manifest there references (older than an hour), under the repository's unlink lease,
safely against concurrent pushes (chalicelib/storage/unlinking.py); a dry run lists them.
Garbage collection (chalicelib/gc/) then reclaims the blobs no repository links and the
large-manifest objects no manifest names."""

from __future__ import annotations

import time
from datetime import datetime

from chalicelib.lifecycle import index, policy, store
from chalicelib.lifecycle.deleter import AUDIT_WHO as AUDIT_WHO
from chalicelib.lifecycle.deleter import CHANGED as CHANGED
from chalicelib.lifecycle.deleter import delete_in_order
from chalicelib.lifecycle.planning import plan
from chalicelib.lifecycle.reports import Report
from chalicelib.lifecycle.reports import RepoRun as RepoRun
from chalicelib.lifecycle.snapshot import Snapshot as Snapshot
from chalicelib.lifecycle.snapshot import read as read
from chalicelib.storage import keys, repo_settings, unlinking
from chalicelib.storage.clock import now as clock_now
from chalicelib.storage.keys import REPOS_PARTITION
from chalicelib.storage.models import RepositoryItem, TagItem


def run_repository(
    repo: str,
    *,
    dry_run: bool,
    now: datetime | None = None,
    stored: store.StoredPolicy | None = None,
    who: str = AUDIT_WHO,
) -> RepoRun:
    """Apply `repo`'s policy (`stored`, when the caller read it already); its deletions are
    recorded as done by `who` (the principal that started the run, else the schedule)."""
    moment = now or clock_now()
    current = stored if stored is not None else store.get(repo)
    if not current.rules:
        window = repo_settings.get(repo).rollback_window
        return RepoRun(repo, dry_run, current.version, window)
    snapshot = read(repo)
    settings = snapshot.settings
    run = RepoRun(repo, dry_run, current.version, settings.rollback_window)
    decided = plan(snapshot, current.rules, settings, moment)
    run.next_due = next_due(snapshot, current.rules, moment)
    tags_of: dict[str, list[TagItem]] = {}
    for item in snapshot.tags.values():
        tags_of.setdefault(item.digest, []).append(item)
    run.manifests = len(snapshot.manifests)
    run.expire = [
        {"digest": d, "rule": why, "tags": sorted(keys.tag_name(t.sk) for t in tags_of.get(d, []))}
        for d, why in sorted(decided.expire.items())
    ]
    run.kept = [{"digest": d, "why": why} for d, why in sorted(decided.rescued.items())]
    if not dry_run:
        delete_in_order(run, repo, snapshot, decided, tags_of, settings, who)
        if run.deleted:
            unlinked = unlinking.unlink_unreferenced(repo)
            run.unlink = [link.document() for link in unlinked.links]
            run.unlink_complete = unlinked.complete
    elif decided.expire:
        run.unlink = [link.document() for link in unlinking.unreferenced(repo, decided.expire)]
    return run


def next_due(snapshot: Snapshot, rules: list[policy.Rule], moment: datetime) -> datetime | None:
    """When the plan over `snapshot` can next expire more with nothing changed."""
    return policy.next_change(
        [
            policy.Manifest(m.digest, m.pushed_at, m.last_pulled)
            for m in snapshot.manifests.values()
        ],
        rules,
        moment,
    )


def run_all(
    *, dry_run: bool, budget: float = 600.0, now: datetime | None = None, who: str = AUDIT_WHO
) -> Report:
    """Apply every repository's policy; stop starting repositories after `budget` seconds
    (`complete: false`: the next run goes on — a run is safe to interrupt anywhere).
    A real run also writes each planned repository's due entry (lifecycle/index.py)."""
    started = time.monotonic()
    report = Report(dry_run=dry_run)
    seen = {} if dry_run else index.entries(None)
    page: list[str] = []
    for item in RepositoryItem.query(REPOS_PARTITION, attributes_to_get=["pk", "sk"]):
        page.append(item.sk)
        if len(page) == 100:
            if not _run_page(report, page, seen, dry_run, now, started + budget, who):
                break
            page = []
    else:
        if _run_page(report, page, seen, dry_run, now, started + budget, who):
            # Entries of repositories gone, or without a policy now: nothing to plan.
            _run_page(report, sorted(seen), seen, dry_run, now, started + budget, who)
    report.seconds = time.monotonic() - started
    return report


def run_due(*, budget: float = 45.0, now: datetime | None = None, who: str = AUDIT_WHO) -> Report:
    """The daily run once the index is complete: plan only the repositories whose entry is
    due — changed since their last plan, or an age rule can expire something now. Its calls
    are a few for the index plus those of the due repositories, whatever the registry's size."""
    started = time.monotonic()
    moment = now or clock_now()
    report = Report(dry_run=False)
    seen = index.entries(moment)
    names = sorted(seen)
    for start in range(0, len(names), 100):
        if not _run_page(
            report, names[start : start + 100], seen, False, moment, started + budget, who
        ):
            break
    report.seconds = time.monotonic() - started
    return report


def _run_page(
    report: Report,
    names: list[str],
    seen: dict[str, int | None],
    dry_run: bool,
    now: datetime | None,
    deadline: float,
    who: str,
) -> bool:
    """Plan each of `names` that has a policy; a real run resets (or drops) the due entries
    it read in `seen`, which it empties as it goes."""
    policies = store.get_many(names)
    for name in names:
        stored = policies.get(name)
        if stored is None or not stored.rules:
            if name in seen:
                index.drop(name, seen.pop(name))
            continue
        if time.monotonic() > deadline:
            report.complete = False
            return False
        bumps = seen.pop(name, None)  # None: no entry yet (or a dry run)
        run = run_repository(name, dry_run=dry_run, now=now, stored=stored, who=who)
        report.repositories.append(run)
        if not dry_run:
            index.reset(name, bumps, run.next_due)
    return True
