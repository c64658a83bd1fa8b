"""Manifests: stored byte-exact, inline in DynamoDB or (over the item limit) in S3."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from pynamodb.exceptions import TransactWriteError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.oci.manifest import ParsedManifest
from chalicelib.storage import (
    audit_items,
    aws,
    blobs,
    gc_fence,
    gc_refs,
    lifecycle_due,
    manifest_marks,
    repo_settings,
    repositories,
    tags,
    unlinking,
)
from chalicelib.storage.audit_event import Event
from chalicelib.storage.clock import now
from chalicelib.storage.errors import ManifestInvalid, ReferencesMissing
from chalicelib.storage.keys import manifest_digest, manifest_sk, referrer_sk, repo_pk
from chalicelib.storage.manifest_marks import Marks

# The readers live apart so a pull imports none of the write side; their callers keep
# reaching them here.
from chalicelib.storage.manifest_reads import StoredManifest as StoredManifest
from chalicelib.storage.manifest_reads import annotations_of as annotations_of
from chalicelib.storage.manifest_reads import by_digest as by_digest
from chalicelib.storage.manifest_reads import by_tag as by_tag
from chalicelib.storage.models import (
    COPY_LIMIT,
    INLINE_LIMIT,
    ManifestItem,
    ReferrerItem,
    TagItem,
)
from chalicelib.storage.retry import until_committed
from chalicelib.storage.transactions import condition_failed, transaction

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

# A push is one transaction: the manifest, its referrer entry, the repository, the rules
# check, two audit items, two items per tag and one claim per child of an index.
MAX_TRANSACTION_ITEMS = 100
_OTHER_ITEMS = 6


def manifest_key(digest: Digest) -> str:
    return f"manifests/{digest.algorithm}/{digest.hex}"


def existing(repo: str, digests: set[Digest]) -> set[Digest]:
    """Which of `digests` are manifests in `repo`."""
    if not digests:
        return set()
    keys = [(repo_pk(repo), manifest_sk(str(d))) for d in digests]
    found = ManifestItem.batch_get(keys, consistent_read=True, attributes_to_get=["pk", "sk"])
    return {checked_digest(manifest_digest(item.sk)) for item in found}


def put(
    repo: str,
    digest: Digest,
    parsed: ParsedManifest,
    body: bytes,
    tag_names: list[str],
    actor: str | None = None,
    event: Event | None = None,
    *,
    check_references: bool = False,
) -> list[str]:
    """Store the manifest, its referrer entry and every tag move in one transaction (all or
    nothing, so a failed push leaves nothing visible); returns the tags that moved.

    `event` (who, from where, what was pushed) is completed with the tags that moved and
    staged in the same transaction: no extra call, and no record of a push that did not
    happen. A manifest the repository had already (the transaction's condition proves it),
    pushed again to move tags, says so in its detail (`existing`).

    `check_references`: first check that the blobs (and children) are in the repository
    (ReferencesMissing if not). The transaction commits only if no lifecycle run unlinked
    blobs here since that check began (`unlinking.fence`, a condition on the repository
    update it makes anyway); otherwise it checks again and retries (storage/unlinking.py)."""
    key = str(digest)
    fenced = check_references and bool(parsed.blobs)
    checked = unlinking.stamp()
    if check_references:
        references_present(repo, parsed)
    inline: bytes | None = body
    s3_key = None
    if len(body) > INLINE_LIMIT:
        s3_key = manifest_key(digest)
        aws.s3().put_object(
            Bucket=settings().bucket,
            Key=s3_key,
            Body=body,
            ContentType=parsed.media_type,
        )
        inline = None
    item = ManifestItem(
        repo_pk(repo),
        manifest_sk(key),
        media_type=parsed.media_type,
        size=len(body),
        body=inline,
        s3_key=s3_key,
        subject=parsed.subject.digest if parsed.subject else None,
        artifact_type=parsed.artifact_type,
        blobs=sorted({d.digest for d in parsed.blobs}) or None,
        children=sorted({d.digest for d in parsed.manifests}) or None,
        pushed_at=now(),
    )
    child_digests = sorted({checked_digest(d.digest) for d in parsed.manifests}, key=str)
    children = len(child_digests)
    if children and children + 2 * len(tag_names) + _OTHER_ITEMS > MAX_TRANSACTION_ITEMS:
        raise ManifestInvalid(
            f"an index of {children} manifests can be pushed with at most "
            f"{(MAX_TRANSACTION_ITEMS - _OTHER_ITEMS - children) // 2} tags at once",
        )
    # Garbage collection's index entries go first: written before the item, a crash can
    # leave a stale entry (an object kept longer) but never a manifest without its entries.
    referenced = gc_refs.manifest_names({d.digest for d in parsed.blobs}, s3_key)
    gc_refs.add_manifest(repo, key, referenced)
    new = True  # a first push of this manifest here, counted; its condition proves it
    # The stored manifest's marks (signers, scan verdict): a re-push keeps them, and each
    # moved tag copies them.
    marks = Marks()
    waits = 0

    def attempt() -> list[str]:
        nonlocal new, marks
        before: dict[str, TagItem | None] = {}
        if tag_names:
            before, stored = tags.current_and_stored(repo, tag_names, digest)
            new = stored is None
            marks = stored or Marks()
        item.signers = set(marks.signers) or None
        item.scan_verdict = marks.scan_verdict
        moving = [n for n in tag_names if getattr(before[n], "digest", None) != key]
        rules = tags.guard(repo, [n for n in moving if before[n] is not None], "move")
        counts = {
            "manifests": 1 if new else 0,
            "manifest_bytes": len(body) if new else 0,
            "tags": sum(1 for n in moving if before[n] is None),
        }
        with transaction() as tx:
            if rules is not None:
                repo_settings.stage_unchanged(tx, repo, rules)
            tx.save(
                item,
                condition=ManifestItem.pk.does_not_exist()
                if new
                else ManifestItem.pk.exists() & manifest_marks.unchanged(marks),
            )
            if parsed.subject is not None:
                tx.save(_referrer(repo, parsed, key, len(body)))
            tx.update(
                repositories.key(repo),
                actions=repositories.touch_actions(actor, **counts),
                condition=unlinking.fence(checked) if fenced else None,
                return_values="ALL_OLD" if fenced else None,
            )
            claim(tx, repo, child_digests)
            lifecycle_due.stage_changed(tx, repo)
            for name in moving:
                tags.stage_move(
                    tx,
                    repo,
                    name,
                    before[name],
                    digest,
                    parsed.media_type,
                    body,
                    actor,
                    marks=marks,
                )
            if event is not None:
                moves = tuple((n, getattr(before[n], "digest", None), key) for n in moving)
                detail = event.detail if new else {**event.detail, "existing": True}
                audit_items.stage(tx, replace(event, tags=moves, detail=detail))
        return moving

    def learn(error: TransactWriteError) -> None:
        """Blobs unlinked meanwhile (the fence), children gone, a re-push, or a tag moved:
        check again what may have changed, then read again and move from there."""
        nonlocal new, waits, checked, marks
        until = unlinking.fenced_until(error) if fenced else None
        if until is not None and check_references:  # blobs were unlinked
            unlinking.wait(until, waits)
            waits += 1
            checked = unlinking.stamp()
            references_present(repo, parsed)
        _children_still_there(repo, child_digests)
        stored = stored_marks(repo, digest)  # a re-push, deleted meanwhile, signed or scanned
        new, marks = stored is None, stored or Marks()

    busy = "the tags are being moved by many clients at once; retry"
    moving = until_committed(attempt, busy=busy, policy=tags.CONTENDED, conflicted=learn)
    if s3_key is not None:
        _keep_object(s3_key, body, parsed.media_type)
    return moving


def _keep_object(key: str, body: bytes, media_type: str) -> None:
    """After the item names `key`: if a garbage collection may have deleted the object
    (an old unreferenced copy it condemned before this push wrote it), write it again."""
    if gc_fence.settled(key) or blobs.stored_size(key) == len(body):
        return
    aws.s3().put_object(Bucket=settings().bucket, Key=key, Body=body, ContentType=media_type)


def stored_marks(repo: str, digest: Digest) -> Marks | None:
    """The manifest's marks (signers, scan verdict), or None when it is not stored."""
    try:
        item = ManifestItem.get(
            repo_pk(repo),
            manifest_sk(str(digest)),
            consistent_read=True,
            attributes_to_get=["pk", "sk", "signers", "scan_verdict"],
        )
    except ManifestItem.DoesNotExist:
        return None
    return manifest_marks.of_item(item)


def claim(tx: TransactWrite, repo: str, digests: list[Digest], marks: Marks | None = None) -> None:
    """Mark manifests as needed (an index's children, a rollback's target) in the caller's
    transaction, which fails if one is gone: a lifecycle run that read one before cannot
    delete it after (it deletes only if `claimed_at` is as it read it). With `marks`, it
    also fails if their marks changed since they were read (a tag copying them)."""
    moment = now()
    for child in digests:
        condition = ManifestItem.pk.exists()
        if marks is not None:
            condition = condition & manifest_marks.unchanged(marks)
        tx.update(
            ManifestItem(repo_pk(repo), manifest_sk(str(child))),
            actions=[ManifestItem.claimed_at.set(moment)],
            condition=condition,
        )


def references_present(repo: str, parsed: ParsedManifest) -> None:
    """The blobs and manifests `parsed` names are all in `repo`; ReferencesMissing if not."""
    wanted = {checked_digest(d.digest) for d in parsed.blobs}
    missing = sorted(map(str, wanted - blobs.linked(repo, wanted)))
    if missing:
        raise ReferencesMissing(
            f"blob {missing[0]} is not in repository {repo}; push it first",
            detail={"digests": missing},
        )
    children = {checked_digest(d.digest) for d in parsed.manifests}
    missing = sorted(map(str, children - existing(repo, children)))
    if missing:
        raise ReferencesMissing(
            f"manifest {missing[0]} referenced by the index is not in repository {repo}",
            detail={"digests": missing},
            manifests=True,
        )


def _children_still_there(repo: str, children: list[Digest]) -> None:
    missing = sorted(map(str, set(children) - existing(repo, set(children))))
    if missing:
        raise ReferencesMissing(
            f"manifest {missing[0]} referenced by the index is no longer in repository {repo}",
            detail={"digests": missing},
        )


def _referrer(repo: str, parsed: ParsedManifest, digest: str, size: int) -> ReferrerItem:
    assert parsed.subject is not None
    annotations = parsed.annotations or None
    too_large = annotations is not None and len(json.dumps(annotations)) > COPY_LIMIT
    return ReferrerItem(
        repo_pk(repo),
        referrer_sk(parsed.subject.digest, digest),
        media_type=parsed.media_type,
        size=size,
        artifact_type=parsed.artifact_type,
        annotations=None if too_large else annotations,
        annotations_in_manifest=True if too_large else None,
    )


def delete(
    repo: str,
    digest: Digest,
    actor: str | None = None,
    event: Event | None = None,
) -> bool:
    """Delete the manifest, the tags that point at it and its referrer entry; `event` is
    completed with those tags and staged in the manifest's deleting transaction."""
    key = str(digest)
    try:
        item = ManifestItem.get(repo_pk(repo), manifest_sk(key), consistent_read=True)
    except ManifestItem.DoesNotExist:
        return False
    pointing = tags.pointing_at(repo, digest)
    tags.guard(repo, pointing, "delete")  # refuse before anything is deleted
    for name in pointing:
        tags.delete(repo, name, only_if=digest, actor=actor)
    released = gc_refs.manifest_names(
        (str(b) for b in item.blobs or ()), str(item.s3_key) if item.s3_key else None
    )
    gc_refs.release_manifest(released)  # before the delete: a crash leaks nothing
    try:
        with transaction() as tx:
            tx.delete(
                ManifestItem(repo_pk(repo), manifest_sk(key)), condition=ManifestItem.pk.exists()
            )
            if item.subject:
                tx.delete(ReferrerItem(repo_pk(repo), referrer_sk(item.subject, key)))
            tx.update(
                repositories.key(repo),
                actions=repositories.count_actions(manifests=-1, manifest_bytes=-int(item.size)),
            )
            lifecycle_due.stage_changed(tx, repo)
            if event is not None:
                deleted = tuple((t, key, None) for t in pointing)
                audit_items.stage(tx, replace(event, tags=deleted))
    except TransactWriteError as error:
        if condition_failed(error):
            return True  # deleted meanwhile by someone else (who counted it)
        raise
    gc_refs.drop_manifest(repo, key, released)
    if item.verdict is not None:
        from chalicelib.storage import signatures

        signatures.on_delete(repo, item)
    return True
