"""The signature trust policy item: read it (consistently for admins, from a short per-instance
cache on the pull path), and replace it with its version bumped.

The pull path must not pay a read per request for a document that changes a few times a year,
so each function instance keeps the policy it read for `CACHE_SECONDS`: a policy change reaches
every pull within that bound (docs/signing.md states it). The same item carries every
repository's scan pull policy (storage/scan_policy.py), cached with it by the same read."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.signing.trust_policy import TrustPolicy, from_stored
from chalicelib.storage.clock import now
from chalicelib.storage.keys import SIGNING_PARTITION, TRUST_POLICY_SK
from chalicelib.storage.models import TrustPolicyItem

CACHE_SECONDS = 10.0

_lock = threading.Lock()
_cached: tuple[float, TrustPolicy, dict[str, Any]] | None = None
monotonic: Callable[[], float] = time.monotonic  # tests move it instead of sleeping


def _read() -> tuple[TrustPolicy, dict[str, Any]]:
    """The item, once: the trust policy and the scan policies stored beside it."""
    try:
        item = TrustPolicyItem.get(SIGNING_PARTITION, TRUST_POLICY_SK, consistent_read=True)
    except TrustPolicyItem.DoesNotExist:
        return TrustPolicy(), {}
    scans = json.loads(item.scan_policies) if item.scan_policies else {}
    if item.document is None:  # only scan policies were ever set
        return TrustPolicy(), scans
    policy = from_stored(json.loads(item.document), int(item.version))
    return TrustPolicy(policy.rules, policy.version, item.updated_by), scans


def get() -> TrustPolicy:
    """The stored policy (no rules, version 0, when none was ever set)."""
    return _read()[0]


def get_with_scan_policies() -> tuple[TrustPolicy, dict[str, Any]]:
    """Both policies the item holds, read now in one GetItem (the image page judges a pull
    by both, as the pull path does)."""
    return _read()


def _cached_read() -> tuple[TrustPolicy, dict[str, Any]]:
    global _cached
    moment = monotonic()
    with _lock:
        if _cached is not None and moment - _cached[0] < CACHE_SECONDS:
            return _cached[1], _cached[2]
    policy, scans = _read()
    with _lock:
        _cached = (moment, policy, scans)
    return policy, scans


def cached() -> TrustPolicy:
    """The policy as this instance last read it, at most CACHE_SECONDS ago."""
    return _cached_read()[0]


def cached_scan_policies() -> dict[str, Any]:
    """Every repository's scan policy document, from the same cached read."""
    return _cached_read()[1]


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
