"""What a warm function remembers between requests, so that most requests cost no AWS call:
the key ring and the verifier (public keys fetched once per alias), the revocations (re-read
at most every `BERTH_REVOCATION_REFRESH` seconds), the public patterns (`PUBLIC_TTL`), tokens
whose signature was checked, and Basic logins (under an HMAC of the credentials with a
per-process key, so the cache holds no password). `reset` forgets all of it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Mapping

from chalicelib.auth import revocations
from chalicelib.auth.auth_settings import auth_settings
from chalicelib.auth.keyring import KeyRing
from chalicelib.auth.permissions import Principal
from chalicelib.auth.revocations import View
from chalicelib.auth.tokens import Claims, Signer, Verifier

PUBLIC_TTL = 30.0

_lock = threading.Lock()
_ring: KeyRing | None = None
_verifier: Verifier | None = None
# (monotonic time, wall time) of the read, and the public patterns read
_public: tuple[float, float, tuple[str, ...]] | None = None
_revocations: View | None = None
# HMAC of the credentials -> (monotonic expiry, principal, wall time of the login)
_logins: dict[bytes, tuple[float, Principal, float]] = {}
_login_key = secrets.token_bytes(32)
MAX_CACHED_LOGINS = 1024
# token -> (its claims, its key's kid): a warm function checks a token's ECDSA signature once
# (about 0.2-0.4 ms, a tenth of a warm manifest GET), not on every request that carries it.
_verified: dict[str, tuple[Claims, str]] = {}
MAX_VERIFIED_TOKENS = 4096


def key_ring() -> KeyRing:
    """The signing key and the keys tokens may be signed with (`chalicelib.auth.keyring`)."""
    global _ring
    if _ring is None:
        settings = auth_settings()
        with _lock:
            if _ring is None:
                _ring = KeyRing(
                    settings.signing_key,
                    settings.previous_signing_key,
                    resolve_every=settings.key_resolve_every,
                )
    return _ring


def signer() -> Signer:
    """A signer bound to the current key (re-resolved at most every `key_resolve_every`)."""
    return key_ring().signer()


def verifier() -> Verifier:
    """One per process: keys come from the ring, one KMS GetPublicKey per alias when it
    resolves (at most every few minutes), none per token."""
    global _verifier
    if _verifier is None:
        settings = auth_settings()
        ring = key_ring()
        with _lock:
            if _verifier is None:
                _verifier = Verifier(
                    [],
                    issuer=settings.issuer,
                    audience=settings.service,
                    lookup=ring.lookup,
                    max_lifetime=settings.token_max_lifetime,
                )
    return _verifier


def revocation_view() -> View:
    """The process's revocations, re-read at most every `revocation_refresh` seconds."""
    global _revocations
    if _revocations is None:
        with _lock:
            if _revocations is None:
                _revocations = View(auth_settings().revocation_refresh)
    return _revocations


def public_patterns(entries: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """The public patterns, cached for `PUBLIC_TTL`, but read again as soon as the
    revocations (`entries`, else the process's view, itself at most `revocation_refresh` old)
    record a pattern made private or public after the cached read: either change takes effect
    within the revocation bound, not 30 s."""
    global _public
    now = time.monotonic()
    cached = _public
    seen = entries if entries is not None else revocation_view().entries()
    changed = max(seen.get(revocations.PUBLIC, 0.0), seen.get(revocations.PUBLIC_ADDED, 0.0))
    if cached is None or now - cached[0] > PUBLIC_TTL or (changed and changed >= cached[1]):
        from chalicelib.auth import principals

        read_at = time.time()
        cached = _public = (now, read_at, tuple(principals.public_patterns()))
    return cached[2]


def forget_public() -> None:
    """This process changed a pattern: read them again on the next check, at once (other
    processes see the change within the revocation bound)."""
    global _public
    _public = None


def reset() -> None:
    """Forget every cache (tests that change keys, settings or grants)."""
    global _ring, _verifier, _public, _revocations
    with _lock:
        _ring = _verifier = _public = _revocations = None
        _logins.clear()
        _verified.clear()


def verified_claims(token: str) -> Claims:
    """`verifier().verify(token)`, remembered: a token seen before is still checked for
    expiry and for its key being listed (a key retired by rotation ends it), not re-verified."""
    found = _verified.get(token)
    if found is not None:
        claims, kid = found
        if time.time() < claims.expires_at + verifier().leeway and key_ring().lookup(kid):
            return claims
        _verified.pop(token, None)
    claims = verifier().verify(token)
    kid = verifier().kid_of(token)
    if len(_verified) >= MAX_VERIFIED_TOKENS:
        _verified.clear()
    _verified[token] = (claims, kid)
    return claims


def remembered_login(username: str, password: str) -> tuple[bytes, Principal | None]:
    """The cache key of these credentials, and the principal of a login made with them that
    is still fresh and whose principal was not revoked since (else None)."""
    key = hmac.new(_login_key, f"{username}\0{password}".encode(), hashlib.sha256).digest()
    found = _logins.get(key)
    if (
        found is not None
        and found[0] > time.monotonic()
        and not revocation_view().login_refused(found[1].subject, found[2])
    ):
        return key, found[1]
    return key, None


def remember_login(key: bytes, principal: Principal, logged_in_at: float) -> None:
    """Keep a login for the token TTL (the bound a token would have had)."""
    if len(_logins) >= MAX_CACHED_LOGINS:
        _logins.clear()
    _logins[key] = (time.monotonic() + auth_settings().token_ttl, principal, logged_in_at)
