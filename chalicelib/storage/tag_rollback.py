"""Roll a tag back: one step (replaying its history, skipping manifests since deleted), or to
a given manifest of the repository. The move is conditional like any other and recorded in
the history as a rollback; its transaction claims the target manifest (which fails if it
is gone, and keeps a concurrent lifecycle run from deleting it)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.rules.history import ROLLBACK, action_of
from chalicelib.rules.rollback import Move, earlier_targets
from chalicelib.storage import (
    audit_items,
    lifecycle_due,
    manifests,
    repo_settings,
    repositories,
    tags,
)
from chalicelib.storage.audit_event import Event
from chalicelib.storage.errors import ManifestNotFound
from chalicelib.storage.retry import Again, until_committed
from chalicelib.storage.transactions import transaction

if TYPE_CHECKING:
    pass

# manifests.existing asks for this many candidates per BatchGetItem.
_CHUNK = 100


@dataclass(frozen=True, slots=True)
class Rolled:
    tag: str
    from_digest: str | None
    to_digest: str
    moved: bool
    skipped: list[str] = field(default_factory=list)  # earlier targets no longer in the repo


def _one_step_back(repo: str, tag: str, current: str | None) -> tuple[Digest, list[str]]:
    moves = [
        Move(h.from_digest, h.to_digest, action_of(h.action, h.to_digest))
        for h in tags.history(repo, tag)
    ]
    candidates = [checked_digest(d) for d in earlier_targets(moves) if d != current]
    skipped: list[str] = []
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        present = manifests.existing(repo, set(chunk))
        for digest in chunk:
            if digest in present:
                return digest, skipped
            skipped.append(str(digest))
    raise ManifestNotFound(
        f"tag {tag!r} has no earlier manifest left in repository {repo} to roll back to",
        detail={"tag": tag, "skipped": skipped[:100]},
    )


def rollback(
    repo: str,
    tag: str,
    to: Digest | None = None,
    actor: str | None = None,
    event: Event | None = None,
) -> Rolled:
    """Move `tag` back one step, or to the manifest `to`; TagImmutable if the tag is immutable.
    `event` is completed with the move and staged in the moving transaction."""

    def attempt() -> Rolled:
        before = tags.get(repo, tag)
        current = before.digest if before is not None else None
        skipped: list[str] = []
        if to is None:
            target, skipped = _one_step_back(repo, tag, current)
        else:
            target = to
        if str(target) == current:
            return Rolled(tag, current, str(target), moved=False)
        stored = manifests.by_digest(repo, target)
        if stored is None:
            if to is not None:
                raise ManifestNotFound(
                    f"manifest {to} is not in repository {repo}",
                    detail={"digest": str(to)},
                )
            raise Again  # deleted since we looked: look again
        rules = tags.guard(repo, [tag] if before is not None else [], "roll back")
        with transaction() as tx:
            tags.stage_move(
                tx,
                repo,
                tag,
                before,
                target,
                stored.media_type,
                stored.body,
                actor,
                ROLLBACK,
                marks=stored.marks,
            )
            # The target must be there, and a lifecycle run that read it must not
            # delete it now (chalicelib/lifecycle/deleter.py); its marks are as copied.
            manifests.claim(tx, repo, [target], marks=stored.marks)
            lifecycle_due.stage_changed(tx, repo)
            if before is None:  # a rollback --to of a tag that was gone creates it
                tx.update(repositories.key(repo), actions=repositories.count_actions(tags=1))
            if rules is not None:
                repo_settings.stage_unchanged(tx, repo, rules)
            if event is not None:
                moved = ((tag, current, str(target)),)
                audit_items.stage(tx, replace(event, digest=str(target), tags=moved))
        return Rolled(tag, current, str(target), moved=True, skipped=skipped)

    # A conflict: the tag, the target or the rules changed; decide again.
    busy = f"tag {tag!r} is being moved by many clients at once; retry"
    return until_committed(attempt, busy=busy, policy=tags.CONTENDED)
