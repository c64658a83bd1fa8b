"""What a rule did not see: images pushed before it existed (`berth replicate --backfill`),
and copies that failed (re-driven by hand or by the periodic check). Both queue ordinary
replication messages, so they are retried and recorded like a copy on push."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.auth.permissions import matches
from chalicelib.config import settings
from chalicelib.events import backoff
from chalicelib.events.publish import send
from chalicelib.log import logger
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_name
from chalicelib.replication import handler, rules, status, tag_filter
from chalicelib.replication.rules import ReplicationRuleItem
from chalicelib.storage import repositories, tags

PAGE = 1000
MAX_TAGS = 10_000


class BackfillError(ValueError):
    pass


def _key(*parts: str) -> str:
    return "rep_" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _queue(item: ReplicationRuleItem, repository: str, digest: str, tag: str | None) -> list[Any]:
    rule_id = rules.id_of(item)
    out = []
    for index, destination in enumerate(rules.destinations_of(item)):
        body = handler.message(
            rule_id,
            index,
            repository,
            digest,
            tag,
            rules.PUSH_ACTION,
            _key("backfill", rule_id, str(index), repository, digest, tag or ""),
        )
        status.pending(handler.replica_of(body, destination))
        out.append(body)
    return out


def queue(item: ReplicationRuleItem, repository: str) -> int:
    """Every tag of `repository` the rule selects, as it stands now; how many copies."""
    try:
        check_name(repository)
    except OCIError:
        raise BackfillError(f"{repository[:80]!r} is not a repository name") from None
    if not matches(item.repository, repository):
        raise BackfillError(f"rule {rules.id_of(item)} does not cover {repository}")
    include = [str(g) for g in item.include_tags]
    exclude = [str(g) for g in item.exclude_tags]
    messages: list[dict[str, Any]] = []
    after: str | None = None
    seen = 0
    while seen < MAX_TAGS:
        names, more = tags.list_names(repository, after, PAGE)
        seen += len(names)
        wanted = [n for n in names if tag_filter.selects(include, exclude, n)]
        for name, found in tags.current(repository, wanted).items():
            if found is not None:
                messages += _queue(item, repository, found.digest, name)
        if not more or not names:
            break
        after = names[-1]
    if messages:
        send(messages)
    return len(messages)


def queue_rule(rule_id: str, repository: str) -> int:
    """`queue` for the rule `rule_id` (NoSuchRule if there is none)."""
    return queue(rules.get(rule_id), repository)


def redrive(repository: str, dead_only: bool = False) -> int:
    """Queue failed copies of `repository` again as first attempts (marked pending);
    `dead_only`: only those whose retries ran out (the others are still being retried)."""
    messages = []
    for found in status.failed(repository):
        if dead_only and int(found.attempts) < backoff.MAX_ATTEMPTS:
            continue
        digest = status.digest_of(found)
        index = int(found.sk.rsplit("#", 1)[1])
        body = handler.message(
            found.rule,
            index,
            repository,
            digest,
            found.tag,
            found.action,
            _key("redrive", found.rule, str(index), repository, digest, str(found.tag)),
        )
        status.pending(
            status.Replica(
                repository, digest, found.rule, index, found.destination, found.target,
                found.tag, found.action,
            )
        )  # fmt: skip
        messages.append(body)
    if messages:
        send(messages)
    return len(messages)


def redrive_all(max_repositories: int = 10_000) -> int:
    """The periodic check: every repository a rule covers, its dead-lettered copies queued
    again (a destination that was down for more than the retries' day gets them once back).
    A standby's queue holds nothing to re-drive: the primary does it."""
    if settings().standby:
        return 0
    patterns = [str(r.repository) for r in rules.list_all() if r.enabled]
    if not patterns:
        return 0
    queued = 0
    after: str | None = None
    seen = 0
    while seen < max_repositories:
        names, more = repositories.list_names(after, PAGE)
        seen += len(names)
        for name in names:
            if any(matches(p, name) for p in patterns):
                queued += redrive(name, dead_only=True)
        if not more or not names:
            break
        after = names[-1]
    logger.info("replication redrive", extra={"fields": {"queued": queued, "repositories": seen}})
    return queued
