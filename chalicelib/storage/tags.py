"""Tags and their history. Every move is a conditional write on the tag's previous target,
made in one transaction with its history entry, so concurrent moves all land in history."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.rules.history import DELETE, PUSH
from chalicelib.rules.immutability import TagRules
from chalicelib.storage import (
    audit_items,
    contention,
    lifecycle_due,
    manifest_marks,
    repo_settings,
    repositories,
)
from chalicelib.storage.audit_event import Event
from chalicelib.storage.clock import now
from chalicelib.storage.errors import TagImmutable
from chalicelib.storage.keys import (
    MANIFEST_PREFIX,
    TAG_PREFIX,
    history_of,
    history_sk,
    manifest_sk,
    repo_pk,
    tag_name,
    tag_sk,
)
from chalicelib.storage.manifest_marks import NO_MARKS, Marks
from chalicelib.storage.manifest_reads import tag_item
from chalicelib.storage.models import COPY_LIMIT, TagHistoryItem, TagItem
from chalicelib.storage.records import TagHead, TagMove
from chalicelib.storage.retry import RetryPolicy, until_committed
from chalicelib.storage.transactions import transaction

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

# How a request that finds a tag moved under it tries again: every tag move (a push, a
# delete, a rollback) retries with full-jitter backoff until its time budget is spent, so
# many clients moving one tag at once are served in turn, not failed (issue 11, D8).
CONTENDED: RetryPolicy = contention.Budgeted()


def get(repo: str, tag: str) -> TagItem | None:
    return tag_item(repo, tag)


def _moment(before: TagItem | None) -> datetime:
    """Now, but never before the tag's last move: history sorts by this time, and the
    clocks of two Lambda instances may disagree by a little."""
    moment = now()
    if before is not None and before.updated_at >= moment:
        moment = before.updated_at + timedelta(microseconds=1)
    return moment


def _unchanged(before: TagItem) -> Any:
    """The condition that the tag has not moved since `before` was read. The digest alone is
    not enough: a tag moved away and back (a rollback does that) has its old digest again,
    and a move staged from the first read would then write history out of order. Every move
    sets a later `updated_at` (`_moment`), so the pair names one state of the tag."""
    return (TagItem.digest == before.digest) & (TagItem.updated_at == before.updated_at)


def _history(
    repo: str,
    tag: str,
    before: str | None,
    after: str | None,
    actor: str | None,
    action: str,
    moment: datetime,
) -> TagHistoryItem:
    return TagHistoryItem(
        repo_pk(repo),
        history_sk(tag, moment, uuid.uuid4().hex[:8]),
        tag=tag,
        from_digest=before,
        to_digest=after,
        actor=actor,
        at=moment,
        action=action,
    )


def current(repo: str, names: list[str]) -> dict[str, TagItem | None]:
    """The tag items of `names` (None where a tag does not exist), in one BatchGetItem."""
    if not names:
        return {}
    keys = [(repo_pk(repo), tag_sk(name)) for name in names]
    found = {tag_name(item.sk): item for item in TagItem.batch_get(keys, consistent_read=True)}
    return {name: found.get(name) for name in names}


def current_and_stored(
    repo: str, names: list[str], digest: Digest
) -> tuple[dict[str, TagItem | None], Marks | None]:
    """`current(repo, names)`, and the marks (signers, scan verdict) of the manifest `digest`
    (None: it is not stored), in the same BatchGetItem (a push reads its tags anyway; the
    manifest rides along)."""
    pk = repo_pk(repo)
    keys = [(pk, tag_sk(name)) for name in names] + [(pk, manifest_sk(str(digest)))]
    found: dict[str, TagItem] = {}
    stored: Marks | None = None
    for item in TagItem.batch_get(keys, consistent_read=True):
        if item.sk.startswith(MANIFEST_PREFIX):
            # Read through the tag model: only its key and the marks are looked at.
            stored = manifest_marks.of_item(item)
        else:
            found[tag_name(item.sk)] = item
    return {name: found.get(name) for name in names}, stored


def stage_move(
    tx: TransactWrite,
    repo: str,
    tag: str,
    before: TagItem | None,
    digest: Digest,
    media_type: str,
    body: bytes,
    actor: str | None,
    action: str = PUSH,
    marks: Marks = NO_MARKS,
) -> None:
    """Add to `tx` the move of `tag` from `before` to `digest` and its history entry; the
    transaction fails if the tag moved since `before` was read. `marks`: the manifest's
    (storage/manifest_marks.py), which the caller's transaction checks are current."""
    moment = _moment(before)
    item = TagItem(
        repo_pk(repo),
        tag_sk(tag),
        digest=str(digest),
        media_type=media_type,
        size=len(body),
        body=body if len(body) <= COPY_LIMIT else None,  # a pull by tag is then one read
        updated_at=moment,
        signers=set(marks.signers) or None,
        scan_verdict=marks.scan_verdict,
        moved_by=actor,
    )
    condition: Any = TagItem.pk.does_not_exist() if before is None else _unchanged(before)
    tx.save(item, condition=condition)
    from_digest = before.digest if before else None
    tx.save(_history(repo, tag, from_digest, str(digest), actor, action, moment))


def stage_expire(tx: TransactWrite, repo: str, tag: TagItem, actor: str, action: str) -> None:
    """Add to `tx` the removal of `tag` (read by the caller; the transaction fails if it
    moved since) and its history entry."""
    tx.delete(TagItem(repo_pk(repo), tag.sk), condition=_unchanged(tag))
    tx.save(_history(repo, tag_name(tag.sk), tag.digest, None, actor, action, _moment(tag)))


def move(
    repo: str,
    tag: str,
    digest: Digest,
    media_type: str,
    body: bytes,
    actor: str | None = None,
    action: str = PUSH,
) -> bool:
    """Point `tag` at `digest`; False when it already pointed there. An immutable tag that
    exists is refused (TagImmutable), checked against the rules in the same transaction. When
    someone else moved it first, read again and move from there."""

    def attempt() -> bool:
        before = get(repo, tag)
        if before is not None and before.digest == str(digest):
            return False
        rules = guard(repo, [tag] if before is not None else [], "move")
        with transaction() as tx:
            stage_move(tx, repo, tag, before, digest, media_type, body, actor, action)
            lifecycle_due.stage_changed(tx, repo)
            if before is None:
                tx.update(repositories.key(repo), actions=repositories.count_actions(tags=1))
            if rules is not None:
                repo_settings.stage_unchanged(tx, repo, rules)
        return True

    busy = f"tag {tag!r} is being moved by many clients at once; retry"
    return until_committed(attempt, busy=busy, policy=CONTENDED)


def delete(
    repo: str,
    tag: str,
    *,
    only_if: Digest | None = None,
    actor: str | None = None,
    event: Event | None = None,
) -> bool:
    """Remove `tag` (if it points at `only_if`, when given); False when there was none.
    `event` (who, from where) is completed with the tag's digest and staged in the deleting
    transaction: no record of a deletion that did not happen."""

    def attempt() -> bool:
        current = get(repo, tag)
        if current is None or (only_if is not None and current.digest != str(only_if)):
            return False
        rules = guard(repo, [tag], "delete")
        assert rules is not None
        with transaction() as tx:
            tx.delete(TagItem(repo_pk(repo), tag_sk(tag)), condition=_unchanged(current))
            tx.save(_history(repo, tag, current.digest, None, actor, DELETE, _moment(current)))
            tx.update(repositories.key(repo), actions=repositories.count_actions(tags=-1))
            repo_settings.stage_unchanged(tx, repo, rules)
            lifecycle_due.stage_changed(tx, repo)
            if event is not None:
                deleted = ((tag, current.digest, None),)
                audit_items.stage(tx, replace(event, digest=current.digest, tags=deleted))
        return True

    busy = f"tag {tag!r} is being changed by many clients at once; retry"
    return until_committed(attempt, busy=busy, policy=CONTENDED)


def guard(repo: str, existing: list[str], verb: str) -> TagRules | None:
    """The repository's rules, after refusing (TagImmutable) to `verb` any of the `existing`
    tags they make immutable; None when no existing tag moves (creating a tag is always
    allowed). Stage `repo_settings.stage_unchanged` with the result so a concurrent change
    cannot race."""
    if not existing:
        return None
    rules = repo_settings.get(repo)
    for name in existing:
        why = rules.refusal(repo, name, verb)
        if why is not None:
            raise TagImmutable(why, detail=rules.refusal_detail(name))
    return rules


def list_names(repo: str, after: str | None, limit: int) -> tuple[list[str], bool]:
    """Up to `limit` tags in byte order after `after`, and whether more follow.

    `T#` is the last sort-key prefix of a repository's partition, so a range query from
    `T#` (or from `T#<after>`) reads only tags."""
    condition = (
        TagItem.sk > tag_sk(after) if after is not None else TagItem.sk.startswith(TAG_PREFIX)
    )
    names = [
        tag_name(item.sk)
        for item in TagItem.query(
            repo_pk(repo),
            condition,
            limit=limit + 1,
            consistent_read=True,
            attributes_to_get=["pk", "sk"],
        )
    ]
    return names[:limit], len(names) > limit


def _head(item: TagItem) -> TagHead:
    return TagHead(
        tag_name(item.sk),
        checked_digest(item.digest),
        bytes(item.body) if item.body is not None else None,
        item.updated_at,
        item.pulled_at,
        frozenset(str(s) for s in item.signers or ()),
        item.scan_verdict,
        item.moved_by,
    )


def listing(repo: str, limit: int) -> tuple[list[TagHead], bool]:
    """Up to `limit` tags (digest, inline manifest copy, times, signers) in one query, and
    whether more follow: what a page listing tags needs without a read per tag."""
    items = list(
        TagItem.query(
            repo_pk(repo), TagItem.sk.startswith(TAG_PREFIX), limit=limit + 1, consistent_read=True
        )
    )
    return [_head(i) for i in items[:limit]], len(items) > limit


def listing_after(repo: str, after: str, limit: int) -> tuple[list[TagHead], bool]:
    """`listing`'s next page: the tags after the tag `after` (byte order), one query; `T#`
    is the partition's last prefix, so the range holds only tags (as in `list_names`)."""
    items = list(
        TagItem.query(
            repo_pk(repo), TagItem.sk > tag_sk(after), limit=limit + 1, consistent_read=True
        )
    )
    return [_head(i) for i in items[:limit]], len(items) > limit


def target(repo: str, tag: str) -> Digest | None:
    """Where `tag` points now (None: no such tag)."""
    item = get(repo, tag)
    return checked_digest(item.digest) if item is not None else None


def pointing_at(repo: str, digest: Digest) -> list[str]:
    """Tags of `repo` whose target is `digest`."""
    return [
        tag_name(item.sk)
        for item in TagItem.query(
            repo_pk(repo),
            TagItem.sk.startswith(TAG_PREFIX),
            filter_condition=TagItem.digest == str(digest),
            consistent_read=True,
            attributes_to_get=["pk", "sk", "digest"],
        )
    ]


def history(
    repo: str, tag: str, *, newest_first: bool = False, limit: int | None = None
) -> list[TagMove]:
    """Every move of `tag` (or the first `limit`), oldest first or newest first."""
    return [
        TagMove(item.at, item.action, item.from_digest, item.to_digest, item.actor)
        for item in TagHistoryItem.query(
            repo_pk(repo),
            TagHistoryItem.sk.startswith(history_of(tag)),
            consistent_read=True,
            scan_index_forward=not newest_first,
            limit=limit,
        )
    ]
