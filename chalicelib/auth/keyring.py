"""Which KMS key signs tokens now, and which keys a token may have been signed with: rotation.

Two aliases name the keys (`berth keys rotate` moves them, berth/deploy/keys.py):

    alias/berth-<stage>-token            the current key: it signs every new token
    alias/berth-<stage>-token-previous   the key before it: its tokens still verify

A token's `kid` is its key's RFC 7638 thumbprint (`tokens.key_id`). The aliases name KMS HMAC
keys from which the ES256 keys are derived (`chalicelib.auth.derived_keys`): the ring resolves
the current alias with one `GenerateMac` (the answer names the key's ARN) when first used and
then at most once per `resolve_every` seconds (300), so that after a rotation every warm
function signs with the new key within that time. The previous alias is asked when the current
one has moved (a rotation moves both) and, in a new instance, only when a token names a kid the
ring does not list: one KMS call per cold start, not two. Tokens are then signed in memory: no
KMS call per token. An alias that still names a key from before derivation (ECC `SIGN_VERIFY`:
`GenerateMac` answers InvalidKeyUsage) is resolved with `GetPublicKey` instead and signs
through KMS `Sign`, so a deployment keeps working, and its tokens keep verifying, until `berth
keys rotate` moves it to a derived key. Only keys the aliases list are accepted: a key that has
left both aliases verifies nothing after the next resolution, whatever tokens it signed.

A token with a kid the ring does not list may come from a key rotated in a moment ago, so it
triggers ONE early resolution, but at most one per `unknown_every` seconds (30) per process:
an attacker sending made-up kids costs at most two KMS calls per 30 s, never one per request,
and a kid is never used as a KMS key id (the ring asks KMS about its two aliases only).

Legacy signing names the resolved key ARN (not the alias), so a token's `kid` is always the key that
signed it even while the alias moves; if that key may no longer sign (the IAM policy allows
`kms:Sign` on the current alias only), the ring resolves again and signs once more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.auth.derived_keys import NOT_AN_HMAC_KEY, derive
from chalicelib.auth.tokens import (
    Claims,
    KmsSigner,
    LocalSigner,
    Signer,
    TokenError,
    issue,
    key_id,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import (
        EllipticCurvePrivateKey,
        EllipticCurvePublicKey,
    )

RESOLVE_EVERY = 300.0
UNKNOWN_EVERY = 30.0
# What KMS says when asked to sign with a key that is no longer the alias's (IAM denies it,
# or the operator disabled or scheduled it for deletion).
_ROTATED_AWAY = (
    "AccessDeniedException",
    "DisabledException",
    "KMSInvalidStateException",
    "NotFoundException",
)

# What KMS says to GetPublicKey on a key that is not asymmetric (an HMAC key).
_NOT_A_SIGNING_KEY = ("InvalidKeyUsageException", "UnsupportedOperationException")


@dataclass(frozen=True, slots=True)
class ListedKey:
    arn: str
    kid: str
    public: EllipticCurvePublicKey
    # The derived signing key (None: a legacy key, which signs through KMS).
    private: EllipticCurvePrivateKey | None = None


class KeyRing:
    def __init__(
        self,
        current: str,
        previous: str | None,
        *,
        client: Any = None,
        resolve_every: float = RESOLVE_EVERY,
        unknown_every: float = UNKNOWN_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.current_alias = current
        self.previous_alias = previous
        self.resolve_every = resolve_every
        self.unknown_every = unknown_every
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._current: ListedKey | None = None
        self._previous: ListedKey | None = None
        self._previous_asked = False
        self._listed: dict[str, ListedKey] = {}
        self._resolved_at: float | None = None
        self._unknown_at: float | None = None
        self._legacy: set[str] = set()  # aliases that named a pre-derivation key last time

    def _kms(self) -> Any:
        if self._client is None:
            from chalicelib.auth.aws import client

            self._client = client("kms")
        return self._client

    def _fetch(self, alias: str) -> ListedKey | None:
        from botocore.exceptions import ClientError

        try:
            return self._fetch_either(alias)
        except ClientError as error:
            if alias != self.current_alias:
                # No previous key (never rotated: NotFound, or AccessDenied where IAM cannot
                # match a missing alias), or it was disabled: only its tokens are refused.
                from chalicelib.log import logger

                code = error.response["Error"]["Code"]
                logger.info("previous token key unavailable", extra={"fields": {"code": code}})
                return None
            raise

    def _fetch_either(self, alias: str) -> ListedKey:
        """A derived key, or a legacy one; the kind the alias named last time is asked first,
        so a steady resolution costs one KMS call per alias of either kind."""
        from botocore.exceptions import ClientError

        if alias in self._legacy:
            try:
                legacy = self._fetch_legacy(alias)
            except ClientError as error:
                if error.response["Error"]["Code"] not in _NOT_A_SIGNING_KEY:
                    raise
                legacy = None
            if legacy is not None:
                return legacy
            self._legacy.discard(alias)  # rotated to a derived key
        try:
            derived = derive(self._kms(), alias)
        except ClientError as error:
            if error.response["Error"]["Code"] != NOT_AN_HMAC_KEY:
                raise
            legacy = self._fetch_legacy(alias)
            if legacy is None:
                raise TokenError("the token key is neither an HMAC nor a signing key") from None
            self._legacy.add(alias)
            return legacy
        public = derived.private.public_key()
        return ListedKey(derived.arn, key_id(public), public, derived.private)

    def _fetch_legacy(self, alias: str) -> ListedKey | None:
        """A pre-derivation key (None: the alias names something else now)."""
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        response = self._kms().get_public_key(KeyId=alias)
        if response.get("KeyUsage", "SIGN_VERIFY") != "SIGN_VERIFY":
            return None
        public = load_der_public_key(response["PublicKey"])
        if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
            public.curve, ec.SECP256R1
        ):
            raise TokenError("the signing key is not a P-256 key")
        return ListedKey(str(response["KeyId"]), key_id(public), public)

    def resolve(self, *, only_if_due: bool = False, with_previous: bool = False) -> None:
        """Ask KMS which keys the aliases name now: one GenerateMac for the current alias
        (GetPublicKey for a legacy key). The previous alias is asked when the current one has
        moved since the last resolution, or, the first time, only `with_previous` (a kid the
        ring does not list: `lookup`), so that a new instance makes one call, not two.
        `only_if_due`: unless another thread has just done it (no burst of calls when the
        interval ends under load)."""
        with self._lock:
            if only_if_due and not self._due():
                return
            current = self._fetch(self.current_alias)
            assert current is not None
            listed = {current.kid: current}
            known = self._current
            moved = known is not None and known.arn != current.arn
            if self.previous_alias is None:
                previous = None
            elif moved or (with_previous and not self._previous_asked):
                previous = self._fetch(self.previous_alias)
                self._previous_asked = True
            else:
                # `berth keys rotate` moves both aliases together: while the current key
                # stays, so does the previous one, and it is not asked again.
                previous = self._previous
            if previous is not None:
                listed.setdefault(previous.kid, previous)
            self._current, self._previous, self._listed = current, previous, listed
            self._resolved_at = self._clock()

    def _due(self) -> bool:
        resolved = self._resolved_at
        return resolved is None or self._clock() - resolved >= self.resolve_every

    def current(self) -> ListedKey:
        if self._due() or self._current is None:
            self.resolve(only_if_due=True)
        assert self._current is not None
        return self._current

    def signer(self) -> Signer:
        """The current key's signer: in memory for a derived key, else KMS bound to the
        legacy key's ARN (its public key already known)."""
        key = self.current()
        if key.private is not None:
            return LocalSigner(key.private)
        return KmsSigner(key.arn, client=self._kms(), public=key.public)

    def lookup(self, kid: str) -> EllipticCurvePublicKey | None:
        """The public key of a listed key, or None; bounded KMS calls (module docstring)."""
        if self._due():
            self.resolve(only_if_due=True)
        found = self._listed.get(kid)
        if found is not None:
            return found.public
        now = self._clock()
        with self._lock:
            last = self._unknown_at
            if last is not None and now - last < self.unknown_every:
                return None
            self._unknown_at = now
        self.resolve(with_previous=True)
        found = self._listed.get(kid)
        return found.public if found is not None else None

    def issue(self, **claims: Any) -> tuple[str, Claims]:
        """`tokens.issue` with the current key; once more after a re-resolution if KMS
        refuses that key (rotated away since the last resolution)."""
        from botocore.exceptions import ClientError

        try:
            return issue(self.signer(), **claims)
        except ClientError as error:
            if error.response["Error"]["Code"] not in _ROTATED_AWAY:
                raise
        self.resolve()
        return issue(self.signer(), **claims)

    def listed(self) -> tuple[str, ...]:
        """The kids accepted now (for tests and diagnostics)."""
        return tuple(self._listed)
