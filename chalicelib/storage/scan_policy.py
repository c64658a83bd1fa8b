"""A repository's scan pull policy item (`S#scan-policy`): read it (consistently for admins,
from a short per-instance cache on the pull path), and replace it with its version bumped.

Like the signing trust policy (storage/trust_policy.py), each function instance keeps the
policy of a repository it read for `CACHE_SECONDS`: a pull pays a read only when its
repository's copy is older than that, and a change reaches every pull within that bound."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.scanning.pull_policy import ScanPolicy, parse
from chalicelib.storage.clock import now
from chalicelib.storage.keys import SCAN_POLICY_SK, repo_pk
from chalicelib.storage.models import _Item

CACHE_SECONDS = 10.0
CACHE_REPOSITORIES = 1024  # the least recently used repository's copy goes first

_lock = threading.Lock()
_cached: OrderedDict[str, tuple[float, ScanPolicy]] = OrderedDict()
monotonic: Callable[[], float] = time.monotonic  # tests move it instead of sleeping


class ScanPolicyItem(_Item):
    """pk=R#<name>, sk=S#scan-policy: the policy's JSON document; `version` counts changes."""

    document = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)


def get(repo: str) -> ScanPolicy:
    """The stored policy (off, version 0, when none was ever set)."""
    try:
        item = ScanPolicyItem.get(repo_pk(repo), SCAN_POLICY_SK, consistent_read=True)
    except ScanPolicyItem.DoesNotExist:
        return ScanPolicy()
    policy = parse(json.loads(item.document))
    return ScanPolicy(policy.severity, policy.unscanned, policy.allow, int(item.version))


def cached(repo: str) -> ScanPolicy:
    """The policy as this instance last read it, at most CACHE_SECONDS ago."""
    moment = monotonic()
    with _lock:
        found = _cached.get(repo)
        if found is not None and moment - found[0] < CACHE_SECONDS:
            _cached.move_to_end(repo)
            return found[1]
    policy = get(repo)
    with _lock:
        _cached[repo] = (moment, policy)
        _cached.move_to_end(repo)
        while len(_cached) > CACHE_REPOSITORIES:
            _cached.popitem(last=False)
    return policy


def forget_cached() -> None:
    """Drop this instance's copies (after it changed a policy itself, and in tests)."""
    with _lock:
        _cached.clear()


def put(repo: str, policy: ScanPolicy, actor: str | None) -> ScanPolicy:
    """Replace the policy; the version goes up by one, atomically. Returns it as stored."""
    document = policy.document()
    document.pop("version")
    item = ScanPolicyItem(repo_pk(repo), SCAN_POLICY_SK)
    item.update(
        actions=[
            ScanPolicyItem.document.set(json.dumps(document, separators=(",", ":"))),
            ScanPolicyItem.version.add(1),
            ScanPolicyItem.updated_at.set(now()),
            ScanPolicyItem.updated_by.set(actor) if actor else ScanPolicyItem.updated_by.remove(),
        ]
    )
    forget_cached()
    return ScanPolicy(policy.severity, policy.unscanned, policy.allow, int(item.version))
