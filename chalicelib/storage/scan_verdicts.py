"""Scan verdicts, kept where the pull path already reads (as signatures.py keeps signers).

When a scan completes, its compact verdict (chalicelib/scanning/scan_verdict.py) is set on the
scanned manifest item (and, for an index, each platform's item gets its own), then on every
tag pointing at one of them. A tag move copies the manifest's verdict under a condition that it
did not change (storage/manifest_marks.py), so a verdict landing during a move is never lost."""

from __future__ import annotations

from collections.abc import Mapping

from pynamodb.exceptions import UpdateError

from chalicelib.storage.keys import TAG_PREFIX, manifest_sk, repo_pk, tag_name, tag_sk
from chalicelib.storage.models import ManifestItem, TagItem
from chalicelib.storage.transactions import condition_failed


def record(repo: str, verdicts: Mapping[str, str]) -> None:
    """Set `digest -> encoded verdict` on the manifests, then on the tags naming them."""
    for digest, verdict in verdicts.items():
        try:
            ManifestItem(repo_pk(repo), manifest_sk(digest)).update(
                actions=[ManifestItem.scan_verdict.set(verdict)],
                condition=ManifestItem.pk.exists(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise  # deleted meanwhile: nothing to keep
    for item in TagItem.query(
        repo_pk(repo),
        TagItem.sk.startswith(TAG_PREFIX),
        consistent_read=True,
        attributes_to_get=["pk", "sk", "digest"],
    ):
        if item.digest not in verdicts:
            continue
        try:
            TagItem(repo_pk(repo), tag_sk(tag_name(item.sk))).update(
                actions=[TagItem.scan_verdict.set(verdicts[item.digest])],
                condition=TagItem.digest == item.digest,
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise  # moved meanwhile: the move copied the manifest's verdict
