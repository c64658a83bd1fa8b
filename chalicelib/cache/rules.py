"""Cache rules: a repository prefix, the upstream it mirrors, credentials by reference, and
how long a tag is trusted before it is revalidated.

The pull path asks `rule_for(name)` on every manifest read, so rules are read at most once
per CACHE_SECONDS per function instance (one Query), as the signing policy is
(chalicelib/storage/trust_policy.py): an ordinary pull pays no call for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError

from chalicelib.cache import upstreams
from chalicelib.cache.upstreams import Upstream
from chalicelib.storage.clock import now
from chalicelib.storage.keys import CACHE_PARTITION, CACHE_RULE_PREFIX, cache_rule_sk
from chalicelib.storage.models import _Item
from chalicelib.storage.transactions import condition_failed

CACHE_SECONDS = 10.0
MAX_RULES = 100
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 365 * 86400


class RuleError(ValueError):
    pass


class NoSuchRule(LookupError):
    pass


class CacheRuleItem(_Item):
    """pk=CACHE, sk=CR#<prefix>: one prefix, one rule (the key makes prefixes unique)."""

    prefix = UnicodeAttribute()
    upstream = UnicodeAttribute()  # as given, normalised (https://ghcr.io, docker.io -> hub)
    ssm = UnicodeAttribute(null=True)  # the SSM SecureString holding user:password
    secret = UnicodeAttribute(null=True)  # or the Secrets Manager secret
    ttl_seconds = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)
    # Private networks an admin let this upstream reach (chalicelib/cache/upstream_guard.py).
    allow_networks = ListAttribute(of=UnicodeAttribute, null=True)
    # Store a blob before answering its first pull, for clients that cannot reach upstream.
    fill_first = BooleanAttribute(null=True)


@dataclass(frozen=True, slots=True)
class CacheRule:
    prefix: str
    upstream: Upstream
    ttl_seconds: int
    ssm: str | None = None
    secret: str | None = None
    allow_networks: tuple[str, ...] = ()
    fill_first: bool = False

    def upstream_repository(self, name: str) -> str:
        rest = upstreams.below(self.prefix, name)
        assert rest is not None, "rule_for() chose this rule for the name"
        return self.upstream.repository(rest)


@dataclass(frozen=True, slots=True)
class StoredCacheRule:
    """A rule as an admin gave it (the upstream as stored, credentials by reference only)
    and who added it when: what the API shows, with no pynamodb item in the handler."""

    prefix: str
    upstream: str
    ttl_seconds: int
    ssm: str | None
    secret: str | None
    created_at: datetime
    created_by: str | None
    allow_networks: tuple[str, ...] = ()
    fill_first: bool = False


@dataclass(frozen=True, slots=True)
class CacheRules:
    rules: tuple[CacheRule, ...] = ()

    def rule_for(self, name: str) -> CacheRule | None:
        """The rule whose prefix `name` lies under (the longest, if prefixes nest)."""
        found = [r for r in self.rules if upstreams.below(r.prefix, name) is not None]
        return max(found, key=lambda r: len(r.prefix), default=None)


def secret_path() -> str:
    """Where upstream credentials must be kept (berth/deploy/iam_policy.py allows it)."""
    import os

    return f"berth/{os.environ.get('BERTH_STAGE', 'local')}/cache/"


def rule_of(item: CacheRuleItem) -> CacheRule:
    upstream = upstreams.parse_url(item.upstream, allow_http=True)
    allowed = tuple(str(n) for n in item.allow_networks or ())
    return CacheRule(
        item.prefix,
        upstream,
        int(item.ttl_seconds),
        item.ssm,
        item.secret,
        allowed,
        bool(item.fill_first),
    )


def stored_rule_of(item: CacheRuleItem) -> StoredCacheRule:
    return StoredCacheRule(
        item.prefix,
        item.upstream,
        int(item.ttl_seconds),
        item.ssm,
        item.secret,
        item.created_at,
        item.created_by,
        tuple(str(n) for n in item.allow_networks or ()),
        bool(item.fill_first),
    )


def find(prefix: str) -> StoredCacheRule:
    """The rule for `prefix` (NoSuchRule if there is none), as the API shows it."""
    return stored_rule_of(get(prefix))


def listing() -> list[StoredCacheRule]:
    return [stored_rule_of(item) for item in list_all()]


def create(
    *,
    prefix: object,
    upstream: object,
    credentials: object = None,
    ttl_seconds: object = DEFAULT_TTL_SECONDS,
    allow_networks: object = None,
    fill_first: object = False,
    allow_http: bool = False,
    created_by: str | None = None,
) -> CacheRuleItem:
    from chalicelib.cache import upstream_guard
    from chalicelib.replication.destinations import DestinationError, parse

    try:
        prefix = upstreams.check_prefix(prefix)
        target = upstreams.parse_url(upstream, allow_http=allow_http)
        # Credential references and allowed networks are checked as replication's are.
        document = {
            "kind": "registry",
            "url": target.url,
            "credentials": credentials,
            "allowNetworks": allow_networks,
        }
        checked = parse(document, allow_http=True, secret_path=secret_path())
    except (upstreams.UpstreamError, DestinationError) as error:
        raise RuleError(str(error)) from None
    refusal = upstream_guard.refusal(target.url, checked.allow_networks)
    if refusal is not None:
        raise RuleError(f"upstream {refusal}")
    if not isinstance(fill_first, bool):
        raise RuleError("fillFirst is true or false")
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int):
        raise RuleError("ttlSeconds is a whole number of seconds")
    if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise RuleError(f"ttlSeconds is between 0 and {MAX_TTL_SECONDS}")
    existing = list_all()
    if len(existing) >= MAX_RULES:
        raise RuleError(f"a registry has at most {MAX_RULES} cache rules")
    item = CacheRuleItem(
        CACHE_PARTITION,
        cache_rule_sk(prefix),
        prefix=prefix,
        upstream=target.url,
        ssm=checked.ssm,
        secret=checked.secret,
        ttl_seconds=ttl_seconds,
        created_at=now(),
        created_by=created_by,
        allow_networks=list(checked.allow_networks) or None,
        fill_first=fill_first or None,
    )
    try:
        item.save(condition=CacheRuleItem.sk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            raise RuleError(f"a cache rule for {prefix!r} exists; remove it first") from None
        raise
    forget_cached()
    return item


def get(prefix: str) -> CacheRuleItem:
    try:
        return CacheRuleItem.get(CACHE_PARTITION, cache_rule_sk(prefix), consistent_read=True)
    except CacheRuleItem.DoesNotExist:
        raise NoSuchRule(f"no cache rule for {prefix[:100]!r}") from None


def delete(prefix: str) -> CacheRuleItem:
    item = get(prefix)
    item.delete()
    forget_cached()
    return item


def list_all() -> list[CacheRuleItem]:
    return list(
        CacheRuleItem.query(
            CACHE_PARTITION,
            CacheRuleItem.sk.startswith(CACHE_RULE_PREFIX),
            consistent_read=True,
        )
    )


_lock = threading.Lock()
_cached: tuple[float, CacheRules] | None = None
monotonic: Callable[[], float] = time.monotonic  # tests move it instead of sleeping


def cached() -> CacheRules:
    """The rules as this instance last read them, at most CACHE_SECONDS ago."""
    global _cached
    moment = monotonic()
    with _lock:
        if _cached is not None and moment - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    found = CacheRules(tuple(rule_of(i) for i in list_all()))
    with _lock:
        _cached = (moment, found)
    return found


def forget_cached() -> None:
    """Drop this instance's copy (after it changed the rules itself, and in tests)."""
    global _cached
    with _lock:
        _cached = None
