"""The gate: who is asking (Bearer token, Basic credentials or nobody) and may they do this.

One name for the router and the token endpoint to import; the pieces live where their names
say: `authorize` (authorize.py) for every /v2 request, `issue_token` (token_endpoint.py) for
the token endpoint, `login` (login.py), which both share, the decisions (decisions.py), the
401/403 answers (challenges.py) and what a warm function remembers (process_caches.py).
Imported only when auth is on, so a registry with `BERTH_AUTH=off` pays nothing for it.

AWS calls, once warm:
- a Bearer token: none (the public keys are resolved once per process, `KeyRing.lookup`).
  Only a token that falls short of a scope costs one query, to tell 401 (ask for a new token)
  from 403 (the principal really may not);
- Basic credentials: none while the login is cached (in memory for the token TTL, under an
  HMAC of the credentials with a per-process key, so the cache holds no password); public
  patterns are cached for `PUBLIC_TTL` seconds, and read again within the revocation bound
  when a pattern is made private or public (`public_patterns`).
- both: the revocations (`chalicelib.auth.revocations`), one Query at most once per
  `BERTH_REVOCATION_REFRESH` seconds (15): a token issued, or a login cached, before its
  principal was revoked is refused within that bound.
"""

from __future__ import annotations

from chalicelib.auth.auth_settings import auth_settings
from chalicelib.auth.authorize import authorize
from chalicelib.auth.challenges import Challenge, denied, realm_of
from chalicelib.auth.decisions import CATALOG, Access, allowed, principal_of
from chalicelib.auth.login import login, unauthorized
from chalicelib.auth.process_caches import (
    PUBLIC_TTL,
    key_ring,
    public_patterns,
    reset,
    revocation_view,
    signer,
    verifier,
)
from chalicelib.auth.token_endpoint import issue_token

__all__ = [
    "CATALOG",
    "PUBLIC_TTL",
    "Access",
    "Challenge",
    "allowed",
    "auth_settings",
    "authorize",
    "denied",
    "issue_token",
    "key_ring",
    "login",
    "principal_of",
    "public_patterns",
    "realm_of",
    "reset",
    "revocation_view",
    "signer",
    "unauthorized",
    "verifier",
]
