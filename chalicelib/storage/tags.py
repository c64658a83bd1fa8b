"""Tags and their history. Every move is a conditional write on the tag's previous target,
made in one transaction with its history entry, so concurrent moves all land in history."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chalicelib.oci.errors import OCIError
from chalicelib.storage.clock import now
from chalicelib.storage.models import TagHistoryItem, TagItem, repo_pk
from chalicelib.storage.transactions import condition_failed, transaction

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

# A manifest this small is copied into its tag item, so a pull by tag is one read.
TAG_INLINE_LIMIT = 64 * 1024
MAX_ATTEMPTS = 10


def get(repo: str, tag: str) -> TagItem | None:
    try:
        return TagItem.get(repo_pk(repo), f"T#{tag}", consistent_read=True)
    except TagItem.DoesNotExist:
        return None


def _history(
    repo: str, tag: str, before: str | None, after: str | None, actor: str | None
) -> TagHistoryItem:
    moment = now()
    return TagHistoryItem(
        repo_pk(repo),
        f"H#{tag}#{moment.strftime('%Y%m%dT%H%M%S.%fZ')}#{uuid.uuid4().hex[:8]}",
        tag=tag,
        from_digest=before,
        to_digest=after,
        actor=actor,
        at=moment,
    )


def current(repo: str, names: list[str]) -> dict[str, TagItem | None]:
    """The tag items of `names` (None where a tag does not exist), in one BatchGetItem."""
    if not names:
        return {}
    keys = [(repo_pk(repo), f"T#{name}") for name in names]
    found = {item.sk[2:]: item for item in TagItem.batch_get(keys, consistent_read=True)}
    return {name: found.get(name) for name in names}


def stage_move(
    tx: TransactWrite,
    repo: str,
    tag: str,
    before: TagItem | None,
    digest: str,
    media_type: str,
    body: bytes,
    actor: str | None,
) -> None:
    """Add to `tx` the move of `tag` from `before` to `digest` and its history entry; the
    transaction fails if the tag moved since `before` was read."""
    item = TagItem(
        repo_pk(repo),
        f"T#{tag}",
        digest=digest,
        media_type=media_type,
        size=len(body),
        body=body if len(body) <= TAG_INLINE_LIMIT else None,
        updated_at=now(),
    )
    condition: Any = (
        TagItem.pk.does_not_exist() if before is None else TagItem.digest == before.digest
    )
    tx.save(item, condition=condition)
    tx.save(_history(repo, tag, before.digest if before else None, digest, actor))


def move(
    repo: str, tag: str, digest: str, media_type: str, body: bytes, actor: str | None = None
) -> bool:
    """Point `tag` at `digest`; False when it already pointed there."""
    from pynamodb.exceptions import TransactWriteError

    for _ in range(MAX_ATTEMPTS):
        before = get(repo, tag)
        if before is not None and before.digest == digest:
            return False
        try:
            with transaction() as tx:
                stage_move(tx, repo, tag, before, digest, media_type, body, actor)
        except TransactWriteError as error:
            if condition_failed(error):
                continue  # someone else moved it first: read again and move from there
            raise
        return True
    raise OCIError("UNAVAILABLE", f"tag {tag!r} is being moved by many clients at once; retry")


def delete(repo: str, tag: str, *, only_if: str | None = None, actor: str | None = None) -> bool:
    """Remove `tag` (if it points at `only_if`, when given); False when there was none."""
    from pynamodb.exceptions import TransactWriteError

    for _ in range(MAX_ATTEMPTS):
        current = get(repo, tag)
        if current is None or (only_if is not None and current.digest != only_if):
            return False
        try:
            with transaction() as tx:
                tx.delete(
                    TagItem(repo_pk(repo), f"T#{tag}"), condition=TagItem.digest == current.digest
                )
                tx.save(_history(repo, tag, current.digest, None, actor))
        except TransactWriteError as error:
            if condition_failed(error):
                continue
            raise
        return True
    raise OCIError("UNAVAILABLE", f"tag {tag!r} is being changed by many clients at once; retry")


def list_names(repo: str, after: str | None, limit: int) -> tuple[list[str], bool]:
    """Up to `limit` tags in byte order after `after`, and whether more follow.

    `T#` is the last sort-key prefix of a repository's partition, so a range query from
    `T#` (or from `T#<after>`) reads only tags."""
    lower = f"T#{after}" if after is not None else "T#"
    condition = TagItem.sk > lower if after is not None else TagItem.sk.startswith("T#")
    names = [
        item.sk[2:]
        for item in TagItem.query(
            repo_pk(repo),
            condition,
            limit=limit + 1,
            consistent_read=True,
            attributes_to_get=["pk", "sk"],
        )
    ]
    return names[:limit], len(names) > limit


def pointing_at(repo: str, digest: str) -> list[str]:
    """Tags of `repo` whose target is `digest`."""
    return [
        item.sk[2:]
        for item in TagItem.query(
            repo_pk(repo),
            TagItem.sk.startswith("T#"),
            filter_condition=TagItem.digest == digest,
            consistent_read=True,
            attributes_to_get=["pk", "sk", "digest"],
        )
    ]


def history(repo: str, tag: str) -> list[TagHistoryItem]:
    """Every move of `tag`, oldest first."""
    return list(
        TagHistoryItem.query(
            repo_pk(repo), TagHistoryItem.sk.startswith(f"H#{tag}#"), consistent_read=True
        )
    )
