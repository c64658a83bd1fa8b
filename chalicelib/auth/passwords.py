"""Password and secret hashing: argon2id, verified in constant time.

Parameters are OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane), about 25 ms on one core:
a Lambda function gets a fraction of a core at small memory sizes, and memory-hardness matters
more than passes. They are stored in each hash, so raising them later only needs
`needs_rehash` at the next successful login.

Unknown users cost the same as known ones: `verify(None, secret)` checks the secret against a
fixed dummy hash made with the same parameters, so response time does not tell which names
exist. The comparison of derived keys is argon2's own constant-time one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1
# Longer secrets are refused (after the dummy verify, so not faster): hashing is linear in it.
MAX_SECRET_BYTES = 1024

_lock = threading.Lock()
_hasher: PasswordHasher | None = None
_dummy: str | None = None


def _argon2() -> PasswordHasher:
    global _hasher, _dummy
    if _hasher is None:
        with _lock:
            if _hasher is None:
                from argon2 import PasswordHasher, Type

                hasher = PasswordHasher(
                    time_cost=TIME_COST,
                    memory_cost=MEMORY_COST_KIB,
                    parallelism=PARALLELISM,
                    type=Type.ID,
                )
                _dummy = hasher.hash(secrets.token_urlsafe(32))
                _hasher = hasher
    return _hasher


def hash_secret(secret: str) -> str:
    if not isinstance(secret, str) or not secret:
        raise ValueError("a secret must be a non-empty string")
    if len(secret.encode("utf-8")) > MAX_SECRET_BYTES:
        raise ValueError(f"a secret is at most {MAX_SECRET_BYTES} bytes")
    return _argon2().hash(secret)


def verify(stored: str | None, secret: str) -> bool:
    """Does `secret` match `stored`? `stored` None (no such principal) costs the same."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    hasher = _argon2()
    candidate = secret if isinstance(secret, str) else ""
    too_long = len(candidate.encode("utf-8", "surrogatepass")) > MAX_SECRET_BYTES
    target = stored if stored is not None and not too_long else _dummy
    assert target is not None
    ok: bool
    try:
        ok = hasher.verify(target, candidate[:MAX_SECRET_BYTES])
    except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeError):
        ok = False
    return ok and stored is not None and not too_long


def needs_rehash(stored: str) -> bool:
    try:
        return _argon2().check_needs_rehash(stored)
    except Exception:
        return True


def new_secret(prefix: str = "") -> str:
    """A random secret of 256 bits (robots, refresh tokens), shown once."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy random secret (refresh tokens): no stretching needed."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same_digest(stored: str, secret: str) -> bool:
    return hmac.compare_digest(stored.encode("ascii"), digest(secret).encode("ascii"))
