"""Apply lifecycle policies: read a repository, plan with the pure model, delete what the
plan expires — or, in a dry run, only say what it would delete and by which rule.

Reads per repository: its policy item (one BatchGetItem per 100 repositories in a
registry-wide run), then one query over its partition from `H#` on — tag history,
manifests, the settings item and tags (blob links and referrers sort before and are not
read) — keys and a few attributes only.

Each expired manifest goes in its own transaction, conditioned on what the run read, so a
concurrent change wins over the run:
- the manifest item is deleted only if `pushed_at` and `claimed_at` are as read: a re-push
  rewrites the item (new `pushed_at`); an index pushed over it and a rollback to it set
  `claimed_at` in their own transactions (storage/manifests.py, storage/tag_rollback.py);
- each tag that pointed at it is deleted only if it still does, with a history entry
  (action `expire`), and only if the repository's rules did not change meanwhile;
- the same transaction takes it off the repository's counters and writes its audit record
  (who `system:lifecycle`, the rule in `detail`).
A manifest is deleted only after every expiring index that lists it and its expiring
subject are gone: if one of those stayed (changed during the run), it stays too.

When a run deleted manifests in a repository, it then unlinks the blob links no remaining
manifest there references (older than an hour), under the repository's unlink lease,
safely against concurrent pushes (chalicelib/storage/unlinking.py); a dry run lists them.
Garbage collection (chalicelib/gc/) then reclaims the blobs no repository links and the
large-manifest objects no manifest names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.lifecycle import policy
from chalicelib.lifecycle.policy import Manifest, Plan, Rule
from chalicelib.rules.immutability import DEFAULT_ROLLBACK_WINDOW, TagRules
from chalicelib.rules.rollback import EXPIRE
from chalicelib.storage import lifecycle_policy, repo_settings, repositories, tags, unlinking
from chalicelib.storage.clock import now as clock_now
from chalicelib.storage.models import (
    REPOS_PARTITION,
    ManifestItem,
    ReferrerItem,
    RepositoryItem,
    TagItem,
    repo_pk,
)
from chalicelib.storage.transactions import condition_failed, transaction

ACTOR = "lifecycle"
AUDIT_WHO = "system:lifecycle"  # `berth audit --principal system:lifecycle`
# Items of one transaction: the manifest, its referrer entry, the settings check, the
# repository's counters, two audit items and two per tag; a manifest with more tags than
# fit is left for a person to untag.
MAX_TAGS_PER_DELETE = 45
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"  # pynamodb's UTCDateTimeAttribute
CHANGED = "changed during the run (pushed again, tagged, or claimed by an index or a rollback)"


@dataclass(frozen=True, slots=True)
class Observed:
    """What the run read of one manifest; its delete is conditioned on it."""

    digest: str
    size: int
    pushed_at: datetime
    claimed_at: datetime | None
    last_pulled: datetime | None
    subject: str | None
    children: tuple[str, ...]


@dataclass(slots=True)
class Snapshot:
    manifests: dict[str, Observed]
    tags: dict[str, TagItem]  # tag -> its item (sk, digest, updated_at)
    moves: dict[str, list[tuple[str | None, str | None]]]  # tag -> (from, to), oldest first
    settings: TagRules  # immutable tags and the rollback window, with their version


@dataclass(slots=True)
class RepoRun:
    name: str
    dry_run: bool
    policy_version: int
    rollback_window: int
    manifests: int = 0
    expire: list[dict[str, Any]] = field(default_factory=list)  # digest, rule, tags
    kept: list[dict[str, str]] = field(default_factory=list)  # selected, but kept: why
    deleted: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # digest, why not deleted
    # Blob links no remaining manifest references (dry run: that would be) unlinked.
    unlink: list[dict[str, Any]] = field(default_factory=list)  # digest, size
    unlink_complete: bool = True  # False: the unlink lease was held or ran short

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dryRun": self.dry_run,
            "policyVersion": self.policy_version,
            "rollbackWindow": self.rollback_window,
            "manifests": self.manifests,
            "expire": self.expire,
            "kept": self.kept,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "unlink": self.unlink,
            "unlinkBytes": sum(int(link["size"]) for link in self.unlink),
            "unlinkComplete": self.unlink_complete,
        }


# What the one query projects: keys, and the few attributes of manifests, tags, history
# entries and the settings item that a plan and its conditional deletes need.
_PROJECTED = [
    "pk",
    "sk",
    "size",
    "pushed_at",
    "claimed_at",
    "last_pulled",
    "subject",
    "children",
    "digest",
    "updated_at",
    "tag",
    "from_digest",
    "to_digest",
    "version",
    "immutable",
    "immutable_exclude",
    "rollback_window",
]


def _items(repo: str) -> Iterator[dict[str, Any]]:
    """The partition from `H#` on, in one consistent query (paged): history `H#`, manifests
    `M#`, the settings item `S#settings` and tags `T#`; blob links `B#` and referrers `F#`
    sort before `H#` and are not read."""
    from chalicelib.config import settings as config
    from chalicelib.storage.transactions import connection

    client: Any = connection().client
    names = {f"#a{i}": name for i, name in enumerate(_PROJECTED)}
    args: dict[str, Any] = {
        "TableName": config().table,
        "ConsistentRead": True,
        "KeyConditionExpression": "#a0 = :pk AND #a1 >= :from",
        "ExpressionAttributeValues": {":pk": {"S": repo_pk(repo)}, ":from": {"S": "H#"}},
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
    }
    while True:
        page = client.query(**args)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return
        args["ExclusiveStartKey"] = start


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return str(value) if value is not None else None


def _time(item: dict[str, Any], name: str) -> datetime | None:
    value = _text(item, name)
    return datetime.strptime(value, _TIME_FORMAT) if value is not None else None


def read(repo: str) -> Snapshot:
    """One query over the repository's partition: its manifests, tags, tag history and
    settings, consistent with each other as far as one paged query is (the deletes'
    conditions catch what changed after)."""
    manifests: dict[str, Observed] = {}
    tag_items: dict[str, TagItem] = {}
    moves: dict[str, list[tuple[str | None, str | None]]] = {}
    rules = TagRules()
    for item in _items(repo):
        sk = item["sk"]["S"]
        if sk.startswith("M#"):
            pushed = _time(item, "pushed_at")
            assert pushed is not None
            manifests[sk[2:]] = Observed(
                sk[2:],
                int(item.get("size", {}).get("N", "0")),
                pushed,
                _time(item, "claimed_at"),
                _time(item, "last_pulled"),
                _text(item, "subject"),
                tuple(v["S"] for v in item.get("children", {}).get("L", [])),
            )
        elif sk.startswith("T#"):
            updated = _time(item, "updated_at")
            assert updated is not None
            tag_items[sk[2:]] = TagItem(
                item["pk"]["S"], sk, digest=_text(item, "digest"), updated_at=updated
            )
        elif sk.startswith("H#"):
            tag = _text(item, "tag") or ""
            moves.setdefault(tag, []).append((_text(item, "from_digest"), _text(item, "to_digest")))
        elif sk == repo_settings.SETTINGS_SK:
            window = item.get("rollback_window", {}).get("N")
            rules = TagRules(
                immutable=bool(item.get("immutable", {}).get("BOOL", False)),
                exclude=tuple(v["S"] for v in item.get("immutable_exclude", {}).get("L", [])),
                version=int(item["version"]["N"]),
                rollback_window=DEFAULT_ROLLBACK_WINDOW if window is None else int(window),
            )
    return Snapshot(manifests, tag_items, moves, rules)


def plan(snapshot: Snapshot, rules: list[Rule], settings: TagRules, moment: datetime) -> Plan:
    """The pure model over what was read: the rollback window and immutable tags protect."""
    pinned = {t.digest for name, t in snapshot.tags.items() if settings.is_immutable(name)}
    return policy.evaluate(
        [
            Manifest(m.digest, m.pushed_at, m.last_pulled, m.children, m.subject)
            for m in snapshot.manifests.values()
        ],
        {name: t.digest for name, t in snapshot.tags.items()},
        rules,
        moment,
        protected=policy.rollback_window(snapshot.moves, settings.rollback_window),
        pinned=pinned,
    )


def run_repository(
    repo: str,
    *,
    dry_run: bool,
    now: datetime | None = None,
    stored: lifecycle_policy.StoredPolicy | None = None,
) -> RepoRun:
    """Apply `repo`'s policy (`stored`, when the caller read it already)."""
    moment = now or clock_now()
    current = stored if stored is not None else lifecycle_policy.get(repo)
    if not current.rules:
        window = repo_settings.get(repo).rollback_window
        return RepoRun(repo, dry_run, current.version, window)
    snapshot = read(repo)
    settings = snapshot.settings
    run = RepoRun(repo, dry_run, current.version, settings.rollback_window)
    decided = plan(snapshot, current.rules, settings, moment)
    tags_of: dict[str, list[TagItem]] = {}
    for item in snapshot.tags.values():
        tags_of.setdefault(item.digest, []).append(item)
    run.manifests = len(snapshot.manifests)
    run.expire = [
        {"digest": d, "rule": why, "tags": sorted(t.sk[2:] for t in tags_of.get(d, []))}
        for d, why in sorted(decided.expire.items())
    ]
    run.kept = [{"digest": d, "why": why} for d, why in sorted(decided.rescued.items())]
    if not dry_run:
        _delete_in_order(run, repo, snapshot, decided, tags_of, settings)
        if run.deleted:
            unlinked = unlinking.unlink_unreferenced(repo)
            run.unlink = [link.document() for link in unlinked.links]
            run.unlink_complete = unlinked.complete
    elif decided.expire:
        run.unlink = [link.document() for link in unlinking.unreferenced(repo, decided.expire)]
    return run


def _delete_in_order(
    run: RepoRun,
    repo: str,
    snapshot: Snapshot,
    decided: Plan,
    tags_of: dict[str, list[TagItem]],
    settings: TagRules,
) -> None:
    """Indexes before their children, subjects before their referrers; what depends on a
    manifest that stayed stays too."""
    waiting: dict[str, set[str]] = {d: set() for d in decided.expire}
    for digest in decided.expire:
        observed = snapshot.manifests[digest]
        for child in observed.children:
            if child in waiting:
                waiting[child].add(digest)
        if observed.subject in waiting and observed.subject != digest:
            waiting[digest].add(observed.subject)
    stayed: set[str] = set()
    while waiting:
        ready = sorted(d for d, needs in waiting.items() if not needs - set(run.deleted))
        blocked = sorted(d for d, needs in waiting.items() if needs & stayed)
        for digest in blocked:
            del waiting[digest]
            stayed.add(digest)
            run.skipped.append({"digest": digest, "why": "its index or subject stayed"})
        ready = [d for d in ready if d in waiting]
        if not ready:
            if not blocked:  # a cycle cannot be pushed (digests); never spin on one
                for digest in sorted(waiting):
                    run.skipped.append({"digest": digest, "why": "circular references"})
                return
            continue
        for digest in ready:
            del waiting[digest]
            pointing = tags_of.get(digest, [])
            why = _delete(
                repo, snapshot.manifests[digest], pointing, settings, decided.expire[digest]
            )
            if why is None:
                run.deleted.append(digest)
            else:
                stayed.add(digest)
                run.skipped.append({"digest": digest, "why": why})


def _delete(
    repo: str, observed: Observed, pointing: list[TagItem], settings: TagRules, rule: str
) -> str | None:
    """Delete one expired manifest, its tags and its referrer entry, with its audit record,
    or nothing; None when deleted, else why not."""
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.audit import record
    from chalicelib.audit.events import Event

    if len(pointing) > MAX_TAGS_PER_DELETE:
        return f"more than {MAX_TAGS_PER_DELETE} tags point at it; untag it by hand"
    pk = repo_pk(repo)
    claimed: Any = (
        ManifestItem.claimed_at.does_not_exist()
        if observed.claimed_at is None
        else ManifestItem.claimed_at == observed.claimed_at
    )
    condition = (ManifestItem.pushed_at == observed.pushed_at) & claimed
    try:
        with transaction() as tx:
            tx.delete(ManifestItem(pk, f"M#{observed.digest}"), condition=condition)
            if observed.subject:
                tx.delete(ReferrerItem(pk, f"F#{observed.subject}#{observed.digest}"))
            for tag in pointing:
                tags.stage_expire(tx, repo, tag, ACTOR, EXPIRE)
            tx.update(
                repositories.key(repo),
                actions=repositories.count_actions(
                    manifests=-1, manifest_bytes=-observed.size, tags=-len(pointing)
                ),
            )
            if pointing:
                repo_settings.stage_unchanged(tx, repo, settings)
            event = Event(
                action="delete",
                outcome="ok",
                who=AUDIT_WHO,
                at=clock_now(),
                repository=repo,
                digest=observed.digest,
                tags=tuple((t.sk[2:], observed.digest, None) for t in pointing),
                detail={"lifecycle": rule},
            )
            record.stage(tx, event)
    except TransactWriteError as error:
        if condition_failed(error):
            return CHANGED
        raise
    return None


@dataclass(slots=True)
class Report:
    dry_run: bool
    complete: bool = True
    repositories: list[RepoRun] = field(default_factory=list)
    seconds: float = 0.0

    def document(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "complete": self.complete,
            "expire": sum(len(r.expire) for r in self.repositories),
            "deleted": sum(len(r.deleted) for r in self.repositories),
            "skipped": sum(len(r.skipped) for r in self.repositories),
            "unlink": sum(len(r.unlink) for r in self.repositories),
            "repositories": [r.document() for r in self.repositories],
            "seconds": round(self.seconds, 3),
        }


def run_all(*, dry_run: bool, budget: float = 600.0, now: datetime | None = None) -> Report:
    """Apply every repository's policy; stop starting repositories after `budget` seconds
    (`complete: false`: the next run goes on — a run is safe to interrupt anywhere)."""
    started = time.monotonic()
    report = Report(dry_run=dry_run)
    page: list[str] = []
    for item in RepositoryItem.query(REPOS_PARTITION, attributes_to_get=["pk", "sk"]):
        page.append(item.sk)
        if len(page) == 100:
            if not _run_page(report, page, dry_run, now, started + budget):
                break
            page = []
    else:
        _run_page(report, page, dry_run, now, started + budget)
    report.seconds = time.monotonic() - started
    return report


def _run_page(
    report: Report, names: list[str], dry_run: bool, now: datetime | None, deadline: float
) -> bool:
    policies = lifecycle_policy.get_many(names)
    for name in names:
        stored = policies.get(name)
        if stored is None or not stored.rules:
            continue
        if time.monotonic() > deadline:
            report.complete = False
            return False
        report.repositories.append(run_repository(name, dry_run=dry_run, now=now, stored=stored))
    return True


def scheduled(budget: float = 45.0) -> Report:
    """The daily run (app.py): a budget inside the function's timeout."""
    from chalicelib.log import logger

    report = run_all(dry_run=False, budget=budget)
    document = report.document()
    keys = ("complete", "expire", "deleted", "skipped", "unlink", "seconds")
    summary = {k: document[k] for k in keys}
    summary["repositories"] = [
        {"name": r.name, "deleted": r.deleted, "skipped": r.skipped, "unlink": r.unlink}
        for r in report.repositories
        if r.deleted or r.skipped or r.unlink
    ]
    logger.info("lifecycle", extra={"fields": {"lifecycle": summary}})
    return report
