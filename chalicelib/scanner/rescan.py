"""Rescans after the advisory database changed: a walk over every stored image in the
background, one page of one repository's manifests per queue message, each page queueing a
scan message per image the change may affect (`affected`: its packed index keys against the
index keys the versions since its last scan changed), through the scan queue and function that
scan on push uses (in AWS and in `berth serve` alike: chalicelib/scanner/scan_queue.py), and
then the walk's next page.

A database change starts a walk for its version. A walk whose version is no longer the
database's stops at its next page, and a queued scan for an older version is dropped, since
the newer walk covers the same images: an import of many batches rescans once, not per batch."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.events.http_post import Outcome
from chalicelib.log import logger

WALK_TYPE = "rescan"
PAGE = 50  # manifests read per message; their scans are queued ten to a SendMessageBatch


def walk_message(version: int, repository: str | None = None, after: Any = None) -> dict[str, Any]:
    return {
        "rescan": True,
        "id": f"rescan-{version}-{repository or ''}",
        "type": WALK_TYPE,
        "version": version,
        "repository": repository,
        "after": after,
        "attempt": 1,
        "not_before": 0,
    }


def start(version: int) -> None:
    """Queue the walk's first page (after the database reached `version`)."""
    from chalicelib.scanner.scan_queue import send

    send([walk_message(version)])


def scan_message(version: int, repository: str, digest: str) -> dict[str, Any]:
    return {
        "scan": True,
        "id": f"rescan-{version}-{digest}",
        "type": "scan",
        "repository": repository,
        "digest": digest,
        "database": version,
        "attempt": 1,
        "not_before": 0,
    }


def superseded(message: dict[str, Any]) -> bool:
    """A rescan's scan message queued for a database version that is no longer current."""
    if "database" not in message:
        return False
    from chalicelib.storage import vulndb

    return int(message["database"]) < vulndb.version()


def _images(repository: str, after: Any) -> tuple[list[str], Any]:
    """One page of the repository's image manifests (artifacts and referrers left out),
    and where the next page starts (None: this was the last)."""
    from chalicelib.oci import media_types as mt
    from chalicelib.scanning.image_kinds import IMAGE_CONFIGS
    from chalicelib.storage import manifest_pages

    found, following = manifest_pages.page(repository, after, PAGE)
    digests = [
        str(m.digest)
        for m in found
        if m.media_type in mt.MANIFESTS
        and m.subject is None
        and (m.artifact_type is None or m.artifact_type in IMAGE_CONFIGS)
    ]
    return digests, following


def affected(digests: list[str], version: int) -> list[str]:
    """The images whose findings the database's changes up to `version` may change: those
    never scanned completely, scanned before a version whose changes are not known, or whose
    packed index keys hold a key changed since their scan (chalicelib/scanning/key_hashes.py). The
    others keep their findings, which hold for `version` too; their result still names the
    database they were last matched against."""
    from chalicelib.scanning import key_hashes
    from chalicelib.storage import scan_results, vulndb

    last = scan_results.currencies(digests)
    wanted = []
    for digest in digests:
        scan = last.get(digest)
        if scan is None or not scan.complete:
            wanted.append(digest)
            continue
        if scan.database_version is None or scan.index_keys is None:
            wanted.append(digest)
            continue
        changed = vulndb.changed_between(scan.database_version, version)
        if changed is None or key_hashes.touches(scan.index_keys, changed):
            wanted.append(digest)
    return wanted


def run(message: dict[str, Any]) -> Outcome:
    """One page: queue its scans and the next page. A storage fault is retried by the queue."""
    from chalicelib.scanner.scan_queue import send
    from chalicelib.storage import repositories, vulndb

    started = time.perf_counter()
    version = int(message["version"])
    try:
        if vulndb.version() != version:
            logger.info("rescan superseded", extra={"fields": {"version": version}})
            return Outcome(200, int((time.perf_counter() - started) * 1000))
        repository: str | None = message.get("repository")
        after = message.get("after")
        if repository is None:
            names, _ = repositories.list_names(None, 1)
            repository, after = (names[0] if names else None), None
        queued: list[dict[str, Any]] = []
        if repository is not None:
            digests, after = _images(repository, after)
            wanted = affected(digests, version)
            queued = [scan_message(version, repository, d) for d in wanted]
            if len(wanted) < len(digests):
                logger.info(
                    "rescan skipped unaffected images",
                    extra={
                        "fields": {
                            "repository": repository,
                            "version": version,
                            "skipped": len(digests) - len(wanted),
                            "queued": len(wanted),
                        }
                    },
                )
            if after is None:
                names, _ = repositories.list_names(repository, 1)
                repository = names[0] if names else None
            if repository is not None:
                queued.append(walk_message(version, repository, after))
        if queued:
            send(queued)
    except Exception as error:  # S3, DynamoDB or SQS fault: the queue hands it back later
        text = f"{type(error).__name__}: {error}"[:300]
        return Outcome(None, int((time.perf_counter() - started) * 1000), text)
    return Outcome(200, int((time.perf_counter() - started) * 1000))
