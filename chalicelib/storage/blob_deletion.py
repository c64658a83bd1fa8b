"""A client's `DELETE /v2/<name>/blobs/<digest>`, which must not break an immutable image.

The spec lets a client delete any blob, and in a repository with mutable tags that stays so
(deleting a layer a manifest uses is the client's business, as everywhere). But an immutable
tag promises that its image stays pullable, so where the repository's tags are immutable a
blob that an image under an immutable tag needs (its config and layers, and those of every
manifest of an index) is refused: 405 UNSUPPORTED, which the spec allows for a blob that
cannot be deleted (issue 11, D9). Mutable repositories pay one GetItem (the rules).

Race-safety, in the same transaction as the unlink:
- a ConditionCheck on the rules' version as read, so immutability switched on meanwhile
  makes the delete look again;
- the repository item's `unlinking_until` is raised to now (never lowered: a lifecycle
  run's lease stays), conditioned on its value as read. A manifest PUT that checked its
  blobs before this unlink and commits after it fails `unlinking.fence`, checks again and
  finds the blob gone (MANIFEST_BLOB_UNKNOWN), so no immutable tag can be created over a
  blob deleted under it (storage/unlinking.py has the argument).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import TransactWriteError

from chalicelib.oci.digest import Digest
from chalicelib.rules.immutability import TagRules
from chalicelib.storage import audit_items, blobs, repo_settings, repositories, unlinking
from chalicelib.storage.audit_event import Event
from chalicelib.storage.errors import Protected
from chalicelib.storage.keys import TAG_PREFIX, manifest_digest, manifest_sk, repo_pk, tag_name
from chalicelib.storage.models import BlobLinkItem, ManifestItem, RepositoryItem, TagItem
from chalicelib.storage.retry import until_committed
from chalicelib.storage.tags import CONTENDED
from chalicelib.storage.transactions import transaction

if TYPE_CHECKING:
    pass


def delete(repo: str, digest: Digest, event: Event | None = None) -> bool:
    """Unlink the blob; False if it is not linked here; Protected if an image under an
    immutable tag references it. `event` is staged in the unlink's transaction."""
    rules = repo_settings.get(repo)
    if not rules.immutable:
        return blobs.unlink(repo, digest, event)
    state = {"rules": rules}

    def attempt() -> bool:
        found = blobs.link_item(repo, digest)
        if found is None:
            return False
        _refuse_if_held(repo, digest, state["rules"])
        fence = _fence_of(repo)
        held = RepositoryItem.unlinking_until
        unchanged = held.does_not_exist() if fence is None else held == fence
        with transaction() as tx:
            blobs.stage_unlink(
                tx,
                repo,
                digest,
                int(found.size),
                BlobLinkItem.linked_at == found.linked_at,
                unchanged,
                fence_until=max(fence or 0.0, unlinking.stamp()),
            )
            repo_settings.stage_unchanged(tx, repo, state["rules"])
            if event is not None:
                audit_items.stage(tx, event)
        return True

    def learn(_error: TransactWriteError) -> None:
        state["rules"] = repo_settings.get(repo)  # or the link, or the fence: look again
        if not state["rules"].immutable:
            raise _NowMutable

    try:
        return until_committed(
            attempt,
            busy=f"blob {digest} is changing under many requests; retry",
            policy=CONTENDED,
            conflicted=learn,
        )
    except _NowMutable:
        return blobs.unlink(repo, digest, event)


class _NowMutable(Exception):
    """Immutability was switched off during the delete: the plain unlink applies."""


def _fence_of(repo: str) -> float | None:
    try:
        item = repositories.key(repo)
        item.refresh(consistent_read=True)
    except RepositoryItem.DoesNotExist:
        return None
    return None if item.unlinking_until is None else float(item.unlinking_until)


def _refuse_if_held(repo: str, digest: Digest, rules: TagRules) -> None:
    """405 UNSUPPORTED naming a tag and manifest, if an immutable tag's image uses `digest`."""
    pk = repo_pk(repo)
    tagged: dict[str, str] = {}  # manifest digest -> an immutable tag naming it
    for item in TagItem.query(
        pk,
        TagItem.sk.startswith(TAG_PREFIX),
        consistent_read=True,
        attributes_to_get=["pk", "sk", "digest"],
    ):
        tag = tag_name(str(item.sk))
        if rules.is_immutable(tag):
            tagged.setdefault(str(item.digest), tag)
    under: dict[str, str] = dict(tagged)  # every manifest an immutable tag needs -> the tag
    pending = set(tagged)
    while pending:
        keys = [(pk, manifest_sk(d)) for d in sorted(pending)]
        pending = set()
        for manifest in ManifestItem.batch_get(
            keys, consistent_read=True, attributes_to_get=["pk", "sk", "blobs", "children"]
        ):
            name = manifest_digest(manifest.sk)
            if str(digest) in (manifest.blobs or ()):
                tag = under[name]
                raise Protected(
                    f"blob {digest} is part of manifest {name}, which the immutable tag "
                    f"{tag!r} names (rule immutable-tags): it cannot be deleted",
                    detail={"digest": str(digest), "manifest": name, "tag": tag},
                )
            for child in map(str, manifest.children or ()):
                if child not in under:
                    under[child] = under[name]
                    pending.add(child)
