"""Unlink the blobs no manifest of a repository references (after lifecycle expired some),
safely against manifest pushes, with a lease on the repository item.

The race: a manifest PUT checks its blobs' links (BatchGetItem), then commits (one
TransactWriteItems that also updates the repository item). A link deleted between the two
would leave a manifest whose layer cannot be read in its repository. So:

- the run sets `unlinking_until = now + LEASE` on the repository item (only if no unexpired
  lease is held), THEN reads the repository's manifests (consistent query), and deletes each
  link none of them references and that is older than PROTECT, in a transaction with the
  counters' decrement (`blobs.stage_unlink`), conditioned on `linked_at` as read (a re-push
  or mount since keeps it) and on the lease still being this run's; it starts no delete in
  the lease's last STOP_BEFORE seconds; then it sets `unlinking_until` to when it ended
  (not removed: that time is the fence below);
- the PUT's repository-item update gets the condition (`fence`): `unlinking_until` absent or
  earlier than when the PUT began checking its links (minus SKEW for clocks). Every delete
  happens before `unlinking_until` as finally written, so a PUT commits only if every
  unlink here ended before its check saw the links: a PUT that checked before or during a
  run and commits during or after it fails the condition, checks its links again and
  retries (backing off while a lease is held; 503 with Retry-After if it persists);
- a PUT that committed before the lease was set is in the run's query: its blobs stay;
- a link younger than PROTECT stays: clients upload layers before their manifest.

The push path pays nothing: the condition rides on an update its transaction already makes.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.oci.digest import checked_digest
from chalicelib.storage import blobs, clock, keys, repositories
from chalicelib.storage.errors import Busy
from chalicelib.storage.keys import REPOS_PARTITION, repo_pk
from chalicelib.storage.models import BlobLinkItem, ManifestItem, RepositoryItem
from chalicelib.storage.transactions import condition_failed, transaction

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

LEASE = 60.0  # seconds a run may unlink for
STOP_BEFORE = 20.0  # no delete starts in the lease's last seconds (a slow call lands inside)
SKEW = 1.0  # between the clocks of the functions that run and the one that pushes
PROTECT = timedelta(hours=1)  # links younger than this stay (their manifest may be coming)
WAITS = (0.2, 0.4, 0.8, 1.6)  # a PUT's backoff while a lease is held, then 503


def sleep(seconds: float) -> None:
    """Tests replace this (no test sleeps)."""
    time.sleep(seconds)


def stamp() -> float:
    return clock.now().timestamp()


# -- the manifest PUT's side ------------------------------------------------------------


def fence(checked: float) -> Condition:
    """The condition on the PUT's repository-item update: no unlinking since `checked`, the
    time the PUT began checking its blobs' links."""
    until = RepositoryItem.unlinking_until
    condition: Condition = until.does_not_exist() | (until < checked - SKEW)
    return condition


def fenced_until(error: Exception) -> float | None:
    """When a PUT's transaction failed on `fence` (its update asked for ALL_OLD): the
    `unlinking_until` it found; None if something else failed."""
    for reason in getattr(error, "cancellation_reasons", None) or []:
        item = getattr(reason, "raw_item", None) or {}
        failed = reason is not None and reason.code == "ConditionalCheckFailed"
        if failed and item.get("pk", {}).get("S") == REPOS_PARTITION:
            return float(item.get("unlinking_until", {}).get("N", "0"))
    return None


def wait(until: float, attempt: int) -> None:
    """Before checking the links again: wait out a held lease (briefly; raise UNAVAILABLE
    with Retry-After after len(WAITS) waits), or the SKEW after a run that just ended."""
    remaining = until + SKEW - stamp()
    if remaining <= 0:
        return
    if until > stamp():
        if attempt >= len(WAITS):
            retry = min(LEASE, max(1.0, math.ceil(until - stamp())))
            raise Busy(
                "blobs are being unlinked in this repository (lifecycle); retry shortly",
                retry_after=int(retry),
            )
        sleep(min(WAITS[attempt], remaining))
        return
    sleep(remaining)


# -- the run's side ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    digest: str
    size: int
    linked_at: datetime

    def document(self) -> dict[str, Any]:
        return {"digest": self.digest, "size": self.size}


@dataclass(slots=True)
class Unlinked:
    links: list[Link] = field(default_factory=list)
    complete: bool = True  # False: a lease was held, or ran short; the next run goes on
    why: str | None = None


def unreferenced(repo: str, ignoring: Collection[str] = ()) -> list[Link]:
    """Links no manifest of `repo` references (but those in `ignoring`: a dry run's
    expiring ones), older than PROTECT. Consistent queries: manifests first."""
    pk = repo_pk(repo)
    referenced: set[str] = set()
    for item in ManifestItem.query(
        pk,
        ManifestItem.sk.startswith(keys.MANIFEST_PREFIX),
        consistent_read=True,
        attributes_to_get=["pk", "sk", "blobs"],
    ):
        if keys.manifest_digest(item.sk) not in ignoring:
            referenced.update(str(blob) for blob in item.blobs or ())
    old = clock.now() - PROTECT
    return [
        Link(keys.link_digest(link.sk), int(link.size), link.linked_at)
        for link in BlobLinkItem.query(
            pk,
            BlobLinkItem.sk.startswith(keys.LINK_PREFIX),
            consistent_read=True,
            attributes_to_get=["pk", "sk", "size", "linked_at"],
        )
        if keys.link_digest(link.sk) not in referenced and link.linked_at < old
    ]


def unlink_unreferenced(repo: str) -> Unlinked:
    """Under the lease: unlink what no manifest references (see the module's docstring)."""
    token = uuid.uuid4().hex
    started = stamp()
    until = started + LEASE
    if not _acquire(repo, token, started, until):
        return Unlinked(complete=False, why="another run holds the unlink lease")
    result = Unlinked()
    try:
        for link in unreferenced(repo):
            if stamp() > until - STOP_BEFORE:
                result.complete, result.why = False, "the unlink lease ran short"
                break
            if _unlink(repo, link, token):
                result.links.append(link)
    finally:
        _release(repo, token)
    return result


def _acquire(repo: str, token: str, moment: float, until: float) -> bool:
    held = RepositoryItem.unlinking_until
    try:
        repositories.key(repo).update(
            actions=[held.set(until), RepositoryItem.unlinking_run.set(token)],
            condition=RepositoryItem.pk.exists() & (held.does_not_exist() | (held < moment)),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _unlink(repo: str, link: Link, token: str) -> bool:
    try:
        with transaction() as tx:
            blobs.stage_unlink(
                tx,
                repo,
                checked_digest(link.digest),
                link.size,
                BlobLinkItem.linked_at == link.linked_at,
                RepositoryItem.unlinking_run == token,
            )
    except TransactWriteError as error:
        if condition_failed(error):
            return False  # linked again meanwhile (kept), or the lease is no longer ours
        raise
    return True


def _release(repo: str, token: str) -> None:
    """End the lease: `unlinking_until` becomes now, the fence for PUTs checked before."""
    try:
        repositories.key(repo).update(
            actions=[RepositoryItem.unlinking_until.set(stamp())],
            condition=RepositoryItem.unlinking_run == token,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
