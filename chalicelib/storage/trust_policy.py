"""The signature trust policy item: read it (consistently for admins, from a short per-instance
cache on the pull path), and replace it with its version bumped.

The pull path must not pay a read per request for a document that changes a few times a year,
so each function instance keeps the policy it read for `CACHE_SECONDS`: a policy change reaches
every pull within that bound (docs/signing.md states it)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from chalicelib.signing.trust_policy import TrustPolicy, from_stored
from chalicelib.storage.clock import now
from chalicelib.storage.keys import SIGNING_PARTITION, TRUST_POLICY_SK
from chalicelib.storage.models import TrustPolicyItem

CACHE_SECONDS = 10.0

_lock = threading.Lock()
_cached: tuple[float, TrustPolicy] | None = None
monotonic: Callable[[], float] = time.monotonic  # tests move it instead of sleeping


def get() -> TrustPolicy:
    """The stored policy (no rules, version 0, when none was ever set)."""
    try:
        item = TrustPolicyItem.get(SIGNING_PARTITION, TRUST_POLICY_SK, consistent_read=True)
    except TrustPolicyItem.DoesNotExist:
        return TrustPolicy()
    policy = from_stored(json.loads(item.document), int(item.version))
    return TrustPolicy(policy.rules, policy.version, item.updated_by)


def cached() -> TrustPolicy:
    """The policy as this instance last read it, at most CACHE_SECONDS ago."""
    global _cached
    moment = monotonic()
    with _lock:
        if _cached is not None and moment - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    policy = get()
    with _lock:
        _cached = (moment, policy)
    return policy


def forget_cached() -> None:
    """Drop this instance's copy (after it changed the policy itself, and in tests)."""
    global _cached
    with _lock:
        _cached = None


def put(policy: TrustPolicy, actor: str | None) -> TrustPolicy:
    """Replace the policy; the version goes up by one, atomically. Returns it as stored."""
    document = json.dumps({"rules": [r.document() for r in policy.rules]})
    item = TrustPolicyItem(SIGNING_PARTITION, TRUST_POLICY_SK)
    item.update(
        actions=[
            TrustPolicyItem.document.set(document),
            TrustPolicyItem.version.add(1),
            TrustPolicyItem.updated_at.set(now()),
            TrustPolicyItem.updated_by.set(actor) if actor else TrustPolicyItem.updated_by.remove(),
        ]
    )
    forget_cached()
    return TrustPolicy(policy.rules, int(item.version), actor)
