"""Access tokens: short-lived ES256 JWTs, as the Docker token spec's jwt.md describes.

Claims: `iss`, `sub` (`<kind>:<name>`), `aud` (the service), `exp`, `nbf`, `iat`, `jti` and
`access` (`[{"type", "name", "actions"}]`). Verification accepts ES256 and nothing else: no
`alg: none`, no HMAC (so a public key can never be used as an HMAC secret), no `crit`, no
key URLs (`jku`, `x5u`, `jwk` are never fetched), a known `kid`, the right issuer and audience,
`nbf`/`exp`/`iat` within a clock-skew allowance, a lifetime (`exp - iat`) no longer than the
configured maximum (a token that somehow got a long life is refused, not honoured), a
low-S signature (`s <= n/2`: ECDSA signatures are malleable, `(r, n - s)` verifies too, so
one token would have two spellings; Berth normalises what it signs, KMS's answers included,
which may be high-S), and JSON with no duplicate keys (so no two parsers can read one token
two ways). Every failure raises `TokenError`.

Key storage: rooted in AWS KMS, an `HMAC_256` / `GENERATE_VERIFY_MAC` key that never leaves
KMS; the ES256 key is derived from it with one `GenerateMac` per function instance and key
(`chalicelib.auth.derived_keys`), then signs in memory.
- Why not a KMS `Sign` per token any more: it was the largest line of `berth cost` (one per
  pull, $0.15 per 10,000, 10-20 ms each, 300 signs/s quota). The price of the saving is that
  the private key is in the memory of warm functions, not only in KMS (docs/access.md); IAM
  still decides who can obtain it, and rotation (`chalicelib.auth.keyring`, `berth keys
  rotate`) still ends a key. Keys from before derivation (ECC `SIGN_VERIFY`) still sign
  through `KmsSigner` until rotated.
- CloudFormation creates the key, so there is no bootstrap step that must generate and upload
  a key, and no stored secret.
- Verifying needs the public key only, derived at the same resolution; after it no token
  check makes an AWS call.

JWT library: none. `cryptography` does the ECDSA; this module does the compact
serialisation (about a hundred lines). PyJWT and joserfc sign with a key object they hold,
not through a remote signer like KMS, and accept several algorithms that must then be
disabled; here exactly one algorithm exists. `cryptography` is imported lazily (about 30 ms)
so routes that never see a token do not pay for it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.auth.scope import ResourceScope

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import (
        EllipticCurvePrivateKey,
        EllipticCurvePublicKey,
    )

ALGORITHM = "ES256"
# Docker clients want at least 60 s (the spec); five minutes is what the CNCF registry uses.
DEFAULT_TTL = 300
DEFAULT_LEEWAY = 60
MAX_TOKEN_LENGTH = 64 * 1024
# The order of P-256: a signature's s must be at most half of it (low-S).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = P256_ORDER // 2
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class TokenError(Exception):
    """The token is not acceptable; `reason` is safe to log (it never holds the token)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Claims:
    issuer: str
    subject: str
    audience: str
    issued_at: int
    not_before: int
    expires_at: int
    jti: str
    access: tuple[ResourceScope, ...]
    # `iat_ms`: the issue time in milliseconds (`iat` is whole seconds, as clients expect),
    # so that a revocation made later in the same second still refuses the token.
    issued_at_ms: int = 0
    # `pub`: some of `access` came from a public pattern, not the subject's own grants, so
    # making a repository private must end the token too (`revocations.PUBLIC`).
    public: bool = False


# --- base64url and strict JSON ---------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise TokenError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise TokenError(f"duplicate JSON member {key[:40]!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise TokenError(f"JSON constant {name} is not allowed")


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        if isinstance(error, TokenError):
            raise
        raise TokenError("not a JSON object") from None
    if not isinstance(value, dict):
        raise TokenError("not a JSON object")
    return value


def _compact(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


# --- keys ------------------------------------------------------------------------------------


def key_id(public_key: EllipticCurvePublicKey) -> str:
    """The RFC 7638 JWK thumbprint of a P-256 public key: the token header's `kid`."""
    numbers = public_key.public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }
    return b64url_encode(hashlib.sha256(_compact(jwk)).digest())


def der_to_raw(signature: bytes) -> bytes:
    """An ASN.1 DER ECDSA signature (what KMS returns) to JOSE's 64-byte r||s, low-S."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(signature)
    return low_s(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def low_s(signature: bytes) -> bytes:
    """The same 64-byte r||s signature with s replaced by n - s when s > n/2 (both verify):
    the one spelling the verifier accepts."""
    s = int.from_bytes(signature[32:], "big")
    if s <= HALF_ORDER:
        return signature
    return signature[:32] + (P256_ORDER - s).to_bytes(32, "big")


class Signer(Protocol):
    def public_key(self) -> EllipticCurvePublicKey: ...

    def sign(self, message: bytes) -> bytes:
        """The 64-byte r||s ES256 signature of `message`."""
        ...


class LocalSigner:
    """A P-256 key held in memory: a key derived from KMS (`chalicelib.auth.derived_keys`),
    unit tests and the client tools."""

    def __init__(self, private_key: EllipticCurvePrivateKey | None = None) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = private_key or ec.generate_private_key(ec.SECP256R1())

    def public_key(self) -> EllipticCurvePublicKey:
        return self._key.public_key()

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return der_to_raw(self._key.sign(message, ec.ECDSA(hashes.SHA256())))


class KmsSigner:
    """Signs through KMS (`ECDSA_SHA_256`); the public key is fetched once and cached."""

    def __init__(
        self, key: str, client: Any = None, public: EllipticCurvePublicKey | None = None
    ) -> None:
        self.key = key  # key id, ARN or alias
        self._client = client
        self._public: EllipticCurvePublicKey | None = public
        self._lock = threading.Lock()

    def _kms(self) -> Any:
        if self._client is None:
            from chalicelib.auth.aws import client

            self._client = client("kms")
        return self._client

    def public_key(self) -> EllipticCurvePublicKey:
        if self._public is None:
            with self._lock:
                if self._public is None:
                    from cryptography.hazmat.primitives.asymmetric import ec
                    from cryptography.hazmat.primitives.serialization import (
                        load_der_public_key,
                    )

                    response = self._kms().get_public_key(KeyId=self.key)
                    public = load_der_public_key(response["PublicKey"])
                    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
                        public.curve, ec.SECP256R1
                    ):
                        raise TokenError("the signing key is not a P-256 key")
                    self._public = public
        return self._public

    def sign(self, message: bytes) -> bytes:
        response = self._kms().sign(
            KeyId=self.key,
            Message=message,
            MessageType="RAW",
            SigningAlgorithm="ECDSA_SHA_256",
        )
        return der_to_raw(response["Signature"])


# --- issuing ---------------------------------------------------------------------------------


def issue(
    signer: Signer,
    *,
    issuer: str,
    subject: str,
    audience: str,
    access: Iterable[ResourceScope],
    ttl: int = DEFAULT_TTL,
    now: float | None = None,
    public: bool = False,
) -> tuple[str, Claims]:
    """A signed token and its claims. `ttl` is at least 60 s (older clients need it)."""
    issued_ms = int((time.time() if now is None else now) * 1000)
    issued = issued_ms // 1000
    claims = Claims(
        issuer=issuer,
        subject=subject,
        audience=audience,
        issued_at=issued,
        not_before=issued,
        expires_at=issued + max(60, ttl),
        jti=b64url_encode(secrets.token_bytes(16)),
        access=tuple(ResourceScope(a.type, a.name, a.actions) for a in access),
        issued_at_ms=issued_ms,
        public=public,
    )
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": key_id(signer.public_key())}
    payload = {
        "iss": claims.issuer,
        "sub": claims.subject,
        "aud": claims.audience,
        "iat": claims.issued_at,
        "iat_ms": claims.issued_at_ms,
        "nbf": claims.not_before,
        "exp": claims.expires_at,
        "jti": claims.jti,
        "access": [scope.claim() for scope in claims.access],
    }
    if public:
        payload["pub"] = True
    signing_input = f"{b64url_encode(_compact(header))}.{b64url_encode(_compact(payload))}"
    signature = low_s(signer.sign(signing_input.encode("ascii")))
    return f"{signing_input}.{b64url_encode(signature)}", claims


# --- verifying -------------------------------------------------------------------------------


def _int_claim(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenError(f"claim {name!r} is missing or not an integer")
    return value


def _str_claim(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise TokenError(f"claim {name!r} is missing or not a string")
    return value


def _access(payload: Mapping[str, Any]) -> tuple[ResourceScope, ...]:
    raw = payload.get("access", [])
    if not isinstance(raw, list):
        raise TokenError("claim 'access' is not a list")
    out: list[ResourceScope] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise TokenError("an 'access' entry is not an object")
        kind, name, actions = entry.get("type"), entry.get("name"), entry.get("actions")
        if (
            not isinstance(kind, str)
            or not isinstance(name, str)
            or not isinstance(actions, list)
            or not all(isinstance(a, str) for a in actions)
        ):
            raise TokenError("an 'access' entry is not {type, name, actions}")
        out.append(ResourceScope(kind, name, tuple(actions)))
    return tuple(out)


class Verifier:
    """Checks tokens against known public keys; needs no AWS call once the keys are loaded."""

    def __init__(
        self,
        public_keys: Sequence[EllipticCurvePublicKey],
        *,
        issuer: str,
        audience: str,
        leeway: int = DEFAULT_LEEWAY,
        lookup: Callable[[str], EllipticCurvePublicKey | None] | None = None,
        max_lifetime: int = DEFAULT_TTL,
    ) -> None:
        """`lookup`: asked for a kid none of `public_keys` has (a key ring: rotation);
        `max_lifetime`: the longest `exp - iat` accepted (seconds)."""
        self._keys = {key_id(key): key for key in public_keys}
        self._lookup = lookup
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_lifetime = max_lifetime

    def verify(self, token: str, *, now: float | None = None) -> Claims:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("token is not a string of reasonable length")
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("token is not header.payload.signature")
        if not all(_B64URL.fullmatch(part) for part in parts):
            raise TokenError("not base64url")
        header = _json_object(b64url_decode(parts[0]))
        if header.get("alg") != ALGORITHM:
            raise TokenError(f"algorithm must be {ALGORITHM}")
        if "crit" in header:
            raise TokenError("critical header extensions are not supported")
        if header.get("typ", "JWT") != "JWT":
            raise TokenError("token type is not JWT")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None and isinstance(kid, str) and self._lookup is not None and len(kid) <= 64:
            key = self._lookup(kid)
        if key is None:
            raise TokenError("unknown signing key")
        signature = b64url_decode(parts[2])
        if len(signature) != 64:
            raise TokenError("bad signature")
        self._check_signature(key, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)

        payload = _json_object(b64url_decode(parts[1]))
        issuer = _str_claim(payload, "iss")
        if issuer != self.issuer:
            raise TokenError("wrong issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise TokenError("wrong audience")
        current = time.time() if now is None else now
        expires = _int_claim(payload, "exp")
        not_before = _int_claim(payload, "nbf")
        issued = _int_claim(payload, "iat")
        issued_ms = _int_claim(payload, "iat_ms") if "iat_ms" in payload else issued * 1000
        if not issued * 1000 <= issued_ms < issued * 1000 + 1000:
            raise TokenError("claims 'iat' and 'iat_ms' disagree")
        if expires - issued > self.max_lifetime:
            raise TokenError("token lives longer than this registry issues tokens for")
        if current >= expires + self.leeway:
            raise TokenError("token has expired")
        if current < not_before - self.leeway or current < issued - self.leeway:
            raise TokenError("token is not valid yet")
        return Claims(
            issuer=issuer,
            subject=_str_claim(payload, "sub"),
            audience=self.audience,
            issued_at=issued,
            not_before=not_before,
            expires_at=expires,
            jti=_str_claim(payload, "jti"),
            access=_access(payload),
            issued_at_ms=issued_ms,
            public=payload.get("pub") is True,
        )

    @staticmethod
    def kid_of(token: str) -> str:
        """The `kid` of a token `verify` accepted."""
        kid = _json_object(b64url_decode(token.split(".", 1)[0])).get("kid")
        if not isinstance(kid, str):
            raise TokenError("token has no kid")
        return kid

    @staticmethod
    def _check_signature(key: EllipticCurvePublicKey, message: bytes, signature: bytes) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        if not 0 < s <= HALF_ORDER:  # high-S: the other spelling of a signature, refused
            raise TokenError("bad signature")
        try:
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise TokenError("bad signature") from None
