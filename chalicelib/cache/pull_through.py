"""The cache's hooks in the registry's handlers: one call in the manifest GET/HEAD path, one
in the blob GET/HEAD path, one refusing pushes. Each asks the per-instance copy of the rules
first (chalicelib/cache/rules.py), so a repository under no rule pays no AWS call here; the
rest of the cache is imported only for repositories under a rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.cache import rules
from chalicelib.oci.errors import OCIError

if TYPE_CHECKING:
    from chalicelib.api.http import HttpRequest
    from chalicelib.cache.rules import CacheRule
    from chalicelib.oci.digest import Digest
    from chalicelib.remote.session import RemoteRegistry
    from chalicelib.remote.transport import RateLimited
    from chalicelib.storage.manifests import StoredManifest
    from chalicelib.storage.records import BlobLink


def _session(rule: CacheRule) -> RemoteRegistry:
    from chalicelib.cache.upstream_session import registry_for

    return registry_for(rule)


def _upstream_failed(rule: CacheRule, what: str, error: Exception) -> OCIError:
    from chalicelib.log import logger

    logger.warning(
        "cache upstream failed",
        extra={"fields": {"upstream": rule.upstream.url, "what": what, "error": str(error)[:300]}},
    )
    return OCIError(
        "UNAVAILABLE",
        f"upstream {rule.upstream.url} of cache rule {rule.prefix!r} could not be reached "
        f"for {what}; retry later",
        detail={"upstream": rule.upstream.url, "rule": rule.prefix},
    )


def _rate_limited(rule: CacheRule, what: str, error: RateLimited) -> OCIError:
    """Upstream's 429 passed on: the client waits as long as upstream asked (Berth does not
    ask upstream again before then: chalicelib/cache/upstream_backoff.py)."""
    from chalicelib.cache import upstream_backoff
    from chalicelib.log import logger

    upstream_backoff.hold(rule.upstream.url, error.retry_after)
    logger.warning(
        "cache upstream rate-limited",
        extra={"fields": {"upstream": rule.upstream.url, "what": what,
                          "retryAfter": error.retry_after}},
    )  # fmt: skip
    after = f"; retry after {error.retry_after} s" if error.retry_after else "; retry later"
    return OCIError(
        "TOOMANYREQUESTS",
        f"upstream {rule.upstream.url} of cache rule {rule.prefix!r} is rate-limiting "
        f"requests for {what}, which Berth has not cached yet{after}",
        detail={"upstream": rule.upstream.url, "rule": rule.prefix},
        headers={"Retry-After": str(error.retry_after)} if error.retry_after else None,
    )


def manifest(
    request: HttpRequest,
    name: str,
    tag: str | None,
    digest: Digest | None,
    stored: StoredManifest | None,
) -> StoredManifest | None:
    """What a manifest read answers: `stored` as read, unless `name` is cached; then a miss
    is fetched from upstream, and a tag past its TTL revalidated."""
    rule = rules.cached().rule_for(name)
    if rule is None:
        return stored
    from chalicelib.remote.transport import RateLimited, RemoteError
    from chalicelib.storage.clock import now

    if stored is not None:
        if tag is None:
            return stored  # a digest names the same bytes forever
        from chalicelib.cache.revalidation import revalidate

        return revalidate(request, rule, lambda: _session(rule), name, tag, stored, now())
    from chalicelib.cache import freshness, manifest_fill

    reference = tag if tag is not None else str(digest)
    try:
        upstream = _session(rule)
        try:
            fetched = manifest_fill.fetch(request, rule, upstream, name, reference)
        finally:
            upstream.close()
    except RateLimited as error:
        raise _rate_limited(rule, f"manifest {reference}", error) from None
    except RemoteError as error:
        raise _upstream_failed(rule, f"manifest {reference}", error) from None
    if fetched is not None and tag is not None:
        freshness.record(name, tag, str(fetched.digest), now())
    return fetched


def blob(name: str, digest: Digest, *, send_upstream: bool = False) -> BlobLink | str | None:
    """A blob not linked in `name`: filled from S3 or upstream if `name` is cached. With
    `send_upstream` (a GET), upstream's storage URL when it redirects there, the fill
    queued (chalicelib/cache/blob_fill.py `first_pull`), unless the rule fills first (its
    clients cannot reach upstream)."""
    rule = rules.cached().rule_for(name)
    if rule is None:
        return None
    from chalicelib.cache.blob_fill import fill, first_pull
    from chalicelib.remote.transport import RateLimited, RemoteError

    try:
        if send_upstream and not rule.fill_first:
            return first_pull(rule, lambda: _session(rule), name, digest)
        return fill(rule, lambda: _session(rule), name, digest)
    except RateLimited as error:
        raise _rate_limited(rule, f"blob {digest}", error) from None
    except RemoteError as error:
        raise _upstream_failed(rule, f"blob {digest}", error) from None


def layer(name: str, digest: str) -> None:
    """Before a scan reads a layer: in a cached repository, fill it if no pull has yet (a
    scan runs on the fill's push event, before the client has asked for the layers). A fill
    under way is not waited for (blob_fill.FillUnderWay): it may be queued behind this scan
    on the same consumer (`berth serve` runs one), so the scan fails and is retried later."""
    rule = rules.cached().rule_for(name)
    if rule is None:
        return
    from chalicelib.cache.blob_fill import fill
    from chalicelib.oci.digest import parse_digest
    from chalicelib.remote.transport import RateLimited, RemoteError
    from chalicelib.storage import blobs

    wanted = parse_digest(digest)
    if blobs.get_link(name, wanted) is not None:
        return
    try:
        fill(rule, lambda: _session(rule), name, wanted, wait=False)
    except RateLimited as error:
        raise _rate_limited(rule, f"blob {digest}", error) from None
    except RemoteError as error:
        raise _upstream_failed(rule, f"blob {digest}", error) from None


def refuse_push(name: str) -> None:
    """Cached repositories hold what upstream holds: a push there is refused, naming the rule."""
    rule = rules.cached().rule_for(name)
    if rule is None:
        return
    raise OCIError(
        "DENIED",
        f"repository {name} is a pull-through cache of {rule.upstream.url} (cache rule "
        f"{rule.prefix!r}); it is read-only: push to a repository outside {rule.prefix!r}",
        status=403,
        detail={"rule": rule.prefix, "upstream": rule.upstream.url},
    )
