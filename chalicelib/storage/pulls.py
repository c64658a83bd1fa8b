"""Last-pull times for lifecycle rules, without a write per pull.

A manifest GET reads one item already (the tag item, or the manifest item by digest), and
that item carries when a pull last recorded itself there (`pulled_at` on a tag,
`last_pulled` on a manifest). Only when that is missing or older than GRANULARITY does the
GET write, with a condition that repeats the test, so concurrent pulls write at most once:
- by digest: one UpdateItem of the manifest's `last_pulled`;
- by tag: one transaction setting the tag's `pulled_at` (only if it still points there)
  and the manifest's `last_pulled`.
So a manifest and each tag write at most once a day, however often they are pulled, and
`last_pulled` is exact to a day: "not pulled for N days" rules are day rules anyway. A tag
move rewrites the tag item, so the first pull after it records again. HEAD is not a pull.
A failure to record never fails the pull."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException

from chalicelib.log import logger
from chalicelib.oci.digest import Digest
from chalicelib.storage.clock import now
from chalicelib.storage.keys import manifest_sk, repo_pk, tag_sk
from chalicelib.storage.models import ManifestItem, TagItem
from chalicelib.storage.transactions import condition_failed, transaction

GRANULARITY = timedelta(days=1)


def stale(recorded: datetime | None, moment: datetime) -> bool:
    return recorded is None or recorded < moment - GRANULARITY


def record(repo: str, digest: Digest, recorded: datetime | None, tag: str | None) -> bool:
    """After a pull of `digest` (through `tag`, if by tag) whose item said `recorded`:
    write the pull time if it is stale. True if this call wrote."""
    key = str(digest)
    moment = now()
    if not stale(recorded, moment):
        return False
    cutoff = moment - GRANULARITY
    pk = repo_pk(repo)
    try:
        if tag is None:
            ManifestItem(pk, manifest_sk(key)).update(
                actions=[ManifestItem.last_pulled.set(moment)],
                condition=ManifestItem.pk.exists()
                & (ManifestItem.last_pulled.does_not_exist() | (ManifestItem.last_pulled < cutoff)),
            )
        else:
            fresh: Any = TagItem.pulled_at.does_not_exist() | (TagItem.pulled_at < cutoff)
            with transaction() as tx:
                tx.update(
                    TagItem(pk, tag_sk(tag)),
                    actions=[TagItem.pulled_at.set(moment)],
                    condition=(TagItem.digest == key) & fresh,
                )
                tx.update(
                    ManifestItem(pk, manifest_sk(key)),
                    actions=[ManifestItem.last_pulled.set(moment)],
                    condition=ManifestItem.pk.exists(),
                )
    except PynamoDBException as error:
        if not condition_failed(error):
            logger.warning("could not record a pull", exc_info=error)
        return False
    return True
