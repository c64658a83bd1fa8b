"""Token-signing keys derived from a KMS HMAC key: one KMS call per key per resolution, none
per token.

A KMS `Sign` per issued token was the largest line of `berth cost` (one per pull). Here the
KMS key (`HMAC_256`, `GENERATE_VERIFY_MAC`) stays the root of trust and never leaves KMS:
the ES256 private key is `HMAC(kms key, LABEL)` reduced to a P-256 scalar, computed by KMS's
`GenerateMac` when a function instance first resolves the key alias, then held in memory and
used locally. Whoever may call `GenerateMac` on the key may derive the signing key, so IAM
allows it to the function's role only (berth/deploy/iam_policy.py). Rotation is unchanged:
`berth keys rotate` makes a new HMAC key and moves the aliases, and a new key derives a new
signing key, hence a new `kid`. The derivation needs no stored secret, no bootstrap step and
no table item: the same key and label always give the same signing key, in every instance.

The trade-off (docs/access.md): the private key is now in the memory of every warm function
that issued or verified a token, not only inside KMS. `LABEL` separates this use of the key
from any other MAC made with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.auth.tokens import P256_ORDER

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

LABEL = b"berth/token-signing-key/ES256/v1"
MAC_ALGORITHM = "HMAC_SHA_256"
# What KMS answers `GenerateMac` on a key that is not an HMAC key: a key from before
# derivation (an ECC SIGN_VERIFY key), still signing and verifying through KMS itself.
NOT_AN_HMAC_KEY = "InvalidKeyUsageException"


@dataclass(frozen=True, slots=True)
class DerivedKey:
    arn: str  # the KMS key the alias named when the key was derived
    private: EllipticCurvePrivateKey


def private_key_from_mac(mac: bytes) -> EllipticCurvePrivateKey:
    """The P-256 private key of a 32-byte MAC: the scalar `mac mod (n - 1) + 1`, so every MAC
    gives a valid key (1 <= d < n); the bias of the reduction is below 2**-200."""
    from cryptography.hazmat.primitives.asymmetric import ec

    if len(mac) != 32:
        raise ValueError("an HMAC-SHA-256 is 32 bytes")
    scalar = int.from_bytes(mac, "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def derive(kms: Any, key: str) -> DerivedKey:
    """The signing key of the KMS HMAC key `key` (id, ARN or alias): one `GenerateMac`.
    Raises botocore's ClientError as KMS does (`NOT_AN_HMAC_KEY` for a legacy key)."""
    response = kms.generate_mac(KeyId=key, Message=LABEL, MacAlgorithm=MAC_ALGORITHM)
    return DerivedKey(str(response["KeyId"]), private_key_from_mac(bytes(response["Mac"])))
