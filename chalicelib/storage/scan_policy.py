"""Every repository's scan pull policy, kept in the registry's policy item beside the signing
trust policy (`SIGNING`/`policy`, storage/trust_policy.py): the pull path reads it from that
item's per-instance cache, so a pull pays no read for it, not even the first pull of a
repository, and a change reaches every pull within `trust_policy.CACHE_SECONDS`.

Changes are read-modify-write of the whole map under a condition on its version (two admins
changing two repositories at once both land). The map must fit the item: MAX_BYTES."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.scanning.pull_policy import PolicyError, ScanPolicy, parse
from chalicelib.storage import trust_policy
from chalicelib.storage.clock import now
from chalicelib.storage.keys import SIGNING_PARTITION, TRUST_POLICY_SK
from chalicelib.storage.models import TrustPolicyItem
from chalicelib.storage.transactions import condition_failed

# DynamoDB items hold 400 KB; the trust policy shares the item.
MAX_BYTES = 250 * 1024
ATTEMPTS = 8


class PolicyBusy(RuntimeError):
    """Every attempt met another change landing first."""


@lru_cache(maxsize=1024)
def _parsed(text: str) -> ScanPolicy:
    document = json.loads(text)
    version = int(document.pop("version", 0))
    policy = parse(document)
    return ScanPolicy(policy.severity, policy.unscanned, policy.allow, version)


def _of(documents: dict[str, Any], repo: str) -> ScanPolicy:
    found = documents.get(repo)
    if not isinstance(found, dict):
        return ScanPolicy()
    return _parsed(json.dumps(found, sort_keys=True))


def _stored() -> tuple[dict[str, Any], int | None]:
    try:
        item = TrustPolicyItem.get(
            SIGNING_PARTITION,
            TRUST_POLICY_SK,
            consistent_read=True,
            attributes_to_get=["pk", "sk", "scan_policies", "scan_policies_version"],
        )
    except TrustPolicyItem.DoesNotExist:
        return {}, None
    documents = json.loads(item.scan_policies) if item.scan_policies else {}
    version = int(item.scan_policies_version) if item.scan_policies_version is not None else None
    return documents, version


def get(repo: str) -> ScanPolicy:
    """The stored policy, read now (off, version 0, when none was ever set)."""
    return _of(_stored()[0], repo)


def of_documents(documents: dict[str, Any], repo: str) -> ScanPolicy:
    """`repo`'s policy among the documents the item holds (trust_policy.get_with_scan_policies)."""
    return _of(documents, repo)


def cached(repo: str) -> ScanPolicy:
    """The policy as this instance last read the policy item, at most CACHE_SECONDS ago."""
    return _of(trust_policy.cached_scan_policies(), repo)


def forget_cached() -> None:
    """Drop this instance's copy (after it changed a policy itself, and in tests)."""
    trust_policy.forget_cached()


def put(repo: str, policy: ScanPolicy, actor: str | None) -> ScanPolicy:
    """Replace `repo`'s policy; its version goes up by one. PolicyError if the registry's
    policies would no longer fit their item."""
    for _ in range(ATTEMPTS):
        documents, version = _stored()
        stored = _of(documents, repo)
        document = policy.document()
        document["version"] = stored.version + 1
        document["updatedAt"] = now().isoformat()
        if actor:
            document["updatedBy"] = actor
        documents[repo] = document
        text = json.dumps(documents, separators=(",", ":"), sort_keys=True)
        if len(text.encode()) > MAX_BYTES:
            raise PolicyError(
                "the registry's scan policies would pass their size limit "
                f"({MAX_BYTES // 1024} KB in all): remove expired allow-list entries"
            )
        condition = (
            TrustPolicyItem.scan_policies_version.does_not_exist()
            if version is None
            else TrustPolicyItem.scan_policies_version == version
        )
        try:
            TrustPolicyItem(SIGNING_PARTITION, TRUST_POLICY_SK).update(
                actions=[
                    TrustPolicyItem.scan_policies.set(text),
                    TrustPolicyItem.scan_policies_version.set((version or 0) + 1),
                ],
                condition=condition,
            )
        except UpdateError as error:
            if condition_failed(error):
                continue  # another repository's change landed first: read again
            raise
        forget_cached()
        return ScanPolicy(policy.severity, policy.unscanned, policy.allow, stored.version + 1)
    raise PolicyBusy("the scan policies are being changed by many admins at once; retry")
