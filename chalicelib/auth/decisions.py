"""Decisions: may a principal have a scope, and who a token's subject is now. Asked for every
request and again for a mount's source and each repository of `_catalog` (`Access`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from chalicelib.auth import permissions
from chalicelib.auth.permissions import ANONYMOUS, Principal
from chalicelib.auth.process_caches import public_patterns
from chalicelib.auth.scope import ResourceScope

CATALOG = ResourceScope("registry", "catalog", ("*",))


@dataclass
class Access:
    """What the gate let through: who, and how to ask about other repositories."""

    subject: str
    principal: Principal | None = None  # known for Basic and anonymous callers
    claims: tuple[ResourceScope, ...] | None = None  # a Bearer token's access
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def may(self, scope: ResourceScope) -> bool:
        """Does this caller hold `scope` (used for a mount's source)?"""
        if self.claims is not None:
            return permissions.covers(self.claims, scope)
        return allowed(self.principal or ANONYMOUS, scope)

    def may_pull(self, repository: str) -> bool:
        """For `_catalog`: may the caller pull `repository` (by its principal's grants)?"""
        with self._lock:
            if self.principal is None:
                self.principal = principal_of(self.subject) or ANONYMOUS
        return allowed(self.principal, ResourceScope("repository", repository, ("pull",)))


def allowed(principal: Principal, scope: ResourceScope) -> bool:
    now = time.time()
    if scope.type == "registry" and scope.name == "catalog":
        return principal.kind != "anonymous" and principal.active(now)
    if scope.type == "registry" and scope.name == "admin":
        return principal.kind != "anonymous" and permissions.is_admin(principal, now=now)
    if scope.type != "repository":
        return False
    public = public_patterns()
    return all(
        permissions.allowed(principal, None, scope.name, action, now=now, public=public)
        for action in scope.actions
    )


def principal_of(subject: str) -> Principal | None:
    """The principal a token's `sub` names, with its CURRENT grants (None: gone)."""
    from chalicelib.auth import principals

    kind, _, name = subject.partition(":")
    if kind == "anonymous":
        return ANONYMOUS
    if kind == "iam":
        return principals.iam_principal(name)
    if kind not in ("user", "robot"):
        return None
    try:
        stored = principals.load(kind, name)
    except Exception:
        return None
    return stored.principal if stored is not None else None
