"""A cached tag older than its rule's TTL is checked against upstream with a HEAD (which
Docker Hub does not count as a pull): the same digest only renews the check; another digest
is fetched and the tag moved (tag history records the move). Digests never need this.

Upstream down, refusing (429, 5xx) or no longer having the tag: the cached copy is served
and the reason logged, since serving a known image beats failing a deploy. A 429's
`Retry-After` is remembered, and until it passes the copy is served without asking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.cache import freshness, manifest_fill, upstream_backoff
from chalicelib.cache.rules import CacheRule
from chalicelib.log import logger
from chalicelib.remote import manifests as remote_manifests
from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import RateLimited, RemoteError
from chalicelib.storage.manifests import StoredManifest

if TYPE_CHECKING:
    from chalicelib.api.http import HttpRequest


def revalidate(
    request: HttpRequest,
    rule: CacheRule,
    registry: Callable[[], RemoteRegistry],
    name: str,
    tag: str,
    stored: StoredManifest,
    at: datetime,
) -> StoredManifest:
    if not freshness.is_stale(freshness.checked(name, tag), rule.ttl_seconds, at):
        return stored
    try:
        upstream = registry()
    except RemoteError as error:  # inside a 429's Retry-After: upstream is not asked
        _served_stale(rule, name, tag, str(error))
        return stored
    try:
        upstream.want(f"repository:{rule.upstream_repository(name)}:pull")
        current = remote_manifests.head(upstream, rule.upstream_repository(name), tag)
        if current == str(stored.digest):
            freshness.record(name, tag, str(stored.digest), at)
            return stored
        if current is None:
            _served_stale(rule, name, tag, "upstream no longer has the tag")
            return stored
        fetched = manifest_fill.fetch(request, rule, upstream, name, tag)
    except RateLimited as error:
        upstream_backoff.hold(rule.upstream.url, error.retry_after)
        _served_stale(rule, name, tag, str(error))
        return stored
    except RemoteError as error:
        _served_stale(rule, name, tag, str(error))
        return stored
    finally:
        upstream.close()
    if fetched is None:  # gone between the HEAD and the GET
        _served_stale(rule, name, tag, "upstream no longer has the tag")
        return stored
    freshness.record(name, tag, str(fetched.digest), at)
    return fetched


def _served_stale(rule: CacheRule, name: str, tag: str, reason: str) -> None:
    logger.warning(
        "cache served a tag it could not revalidate",
        extra={
            "fields": {
                "repository": name,
                "tag": tag,
                "upstream": rule.upstream.url,
                "reason": reason[:300],
            }
        },
    )
