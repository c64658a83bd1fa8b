"""Delete what a plan expires, one manifest per transaction, conditioned on what the run read,
so a concurrent change wins over the run:
- the manifest item is deleted only if `pushed_at` and `claimed_at` are as read: a re-push
  rewrites the item (new `pushed_at`); an index pushed over it and a rollback to it set
  `claimed_at` in their own transactions (storage/manifests.py, storage/rollback.py);
- each tag that pointed at it is deleted only if it still does, with a history entry
  (action `expire`), and only if the repository's rules did not change meanwhile;
- the same transaction takes it off the repository's counters and writes its audit record
  (action `expire` too, the rule in `detail`).
Garbage collection learns what the delete released as a manifest DELETE tells it
(storage/manifests.py): a candidate for each name the manifest kept alive (its blobs, a large
body's object) before the transaction, so a crash after it leaks nothing, and its reference
index entries dropped after it commits (storage/gc_refs.py).
History and audit name the same actor: the principal who started the run by hand (`berth
lifecycle run`), or `system:lifecycle` for the daily schedule.
A manifest is deleted only after every expiring index that lists it and its expiring
subject are gone: if one of those stayed (changed during the run), it stays too."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.audit import record
from chalicelib.audit.events import Event
from chalicelib.lifecycle.policy import Plan
from chalicelib.lifecycle.reports import RepoRun
from chalicelib.lifecycle.snapshot import Observed, Snapshot
from chalicelib.rules.history import EXPIRE
from chalicelib.rules.immutability import TagRules
from chalicelib.storage import gc_refs, keys, repo_settings, repositories, tags
from chalicelib.storage.clock import now as clock_now
from chalicelib.storage.models import ManifestItem, ReferrerItem, TagItem
from chalicelib.storage.transactions import condition_failed, transaction

AUDIT_WHO = "system:lifecycle"  # the scheduled run: `berth audit --principal system:lifecycle`
# Items of one transaction: the manifest, its referrer entry, the settings check, the
# repository's counters, three audit items (repository, actor, the day's registry feed) and
# two per tag; a manifest with more tags than fit is left for a person to untag.
MAX_TAGS_PER_DELETE = 45
CHANGED = "changed during the run (pushed again, tagged, or claimed by an index or a rollback)"


def delete_in_order(
    run: RepoRun,
    repo: str,
    snapshot: Snapshot,
    decided: Plan,
    tags_of: dict[str, list[TagItem]],
    settings: TagRules,
    who: str = AUDIT_WHO,
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
                repo, snapshot.manifests[digest], pointing, settings, decided.expire[digest], who
            )
            if why is None:
                run.deleted.append(digest)
            else:
                stayed.add(digest)
                run.skipped.append({"digest": digest, "why": why})


def _delete(
    repo: str,
    observed: Observed,
    pointing: list[TagItem],
    settings: TagRules,
    rule: str,
    who: str,
) -> str | None:
    """Delete one expired manifest, its tags and its referrer entry, with its audit record,
    or nothing; None when deleted, else why not."""
    if len(pointing) > MAX_TAGS_PER_DELETE:
        return f"more than {MAX_TAGS_PER_DELETE} tags point at it; untag it by hand"
    pk = keys.repo_pk(repo)
    claimed: Any = (
        ManifestItem.claimed_at.does_not_exist()
        if observed.claimed_at is None
        else ManifestItem.claimed_at == observed.claimed_at
    )
    condition = (ManifestItem.pushed_at == observed.pushed_at) & claimed
    released = gc_refs.manifest_names(observed.blobs, observed.s3_key)
    gc_refs.release_manifest(released)  # before the delete: a crash leaks nothing
    try:
        with transaction() as tx:
            tx.delete(ManifestItem(pk, keys.manifest_sk(observed.digest)), condition=condition)
            if observed.subject:
                tx.delete(ReferrerItem(pk, keys.referrer_sk(observed.subject, observed.digest)))
            for tag in pointing:
                tags.stage_expire(tx, repo, tag, who, EXPIRE)
            tx.update(
                repositories.key(repo),
                actions=repositories.count_actions(
                    manifests=-1, manifest_bytes=-observed.size, tags=-len(pointing)
                ),
            )
            if pointing:
                repo_settings.stage_unchanged(tx, repo, settings)
            event = Event(
                action=EXPIRE,
                outcome="ok",
                who=who,
                at=clock_now(),
                repository=repo,
                digest=observed.digest,
                tags=tuple((keys.tag_name(t.sk), observed.digest, None) for t in pointing),
                detail={"lifecycle": rule},
            )
            record.stage(tx, event)
    except TransactWriteError as error:
        if condition_failed(error):
            return CHANGED  # its candidates are settled as still held by the collector
        raise
    gc_refs.drop_manifest(repo, observed.digest, released)
    return None
