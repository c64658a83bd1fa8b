"""What signs: a private key from a PEM file, or an asymmetric AWS KMS key (its private half
never leaves KMS). Both sign bytes the way cosign's verifiers expect: ECDSA as DER over the
curve's hash (SHA-256 for P-256, SHA-384 for P-384), RSA PKCS#1 v1.5 with SHA-256, Ed25519."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

# KMS signs at most this many bytes as a raw message (a DSSE PAE of a statement is far less).
KMS_RAW_LIMIT = 4096


class SigningError(Exception):
    """The key cannot be used; the message says why and what to do."""


class Signer(Protocol):
    def sign(self, message: bytes) -> bytes: ...

    def public_pem(self) -> bytes: ...


def hint_of(public_pem: bytes) -> str:
    """cosign's public-key hint: base64 of the SHA-256 of the DER public key."""
    key = serialization.load_pem_public_key(public_pem)
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@dataclass
class LocalKey:
    """A PKCS#8 or traditional PEM private key (optionally password-protected)."""

    key: Any

    @classmethod
    def load(cls, path: Path, password: bytes | None) -> LocalKey:
        data = path.read_bytes()
        if b"ENCRYPTED SIGSTORE PRIVATE KEY" in data or b"ENCRYPTED COSIGN PRIVATE KEY" in data:
            raise SigningError(
                f"{path} is in cosign's own encrypted format; export a PKCS#8 PEM key "
                "(e.g. generate one with `openssl genpkey -algorithm EC -pkeyopt "
                "ec_paramgen_curve:P-256`) or sign with --kms"
            )
        try:
            key = serialization.load_pem_private_key(data, password)
        except (ValueError, TypeError) as error:
            message = f"{path} is not a PEM private key this tool can read: {error}"
            raise SigningError(message) from None
        if not isinstance(
            key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
        ):
            raise SigningError(f"{path}: only ECDSA, RSA and Ed25519 keys sign images")
        return cls(key)

    def sign(self, message: bytes) -> bytes:
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            digest = hashes.SHA384() if self.key.curve.key_size == 384 else hashes.SHA256()
            return bytes(self.key.sign(message, ec.ECDSA(digest)))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return bytes(self.key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
        return bytes(self.key.sign(message))

    def public_pem(self) -> bytes:
        return bytes(
            self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


_KMS_ALGORITHMS = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "RSA_2048": "RSASSA_PKCS1_V1_5_SHA_256",
    "RSA_3072": "RSASSA_PKCS1_V1_5_SHA_256",
    "RSA_4096": "RSASSA_PKCS1_V1_5_SHA_256",
}


@dataclass
class KmsKey:
    """An asymmetric KMS key (SIGN_VERIFY); one `GetPublicKey`, then one `Sign` per signature."""

    key_id: str
    client: Any = field(default=None, repr=False)
    _public: bytes | None = field(default=None, repr=False)
    _algorithm: str = ""

    def _kms(self) -> Any:
        if self.client is None:
            import boto3

            self.client = boto3.client("kms")
        return self.client

    def _describe(self) -> None:
        if self._public is not None:
            return
        answer = self._kms().get_public_key(KeyId=self.key_id)
        spec = answer.get("KeySpec") or answer.get("CustomerMasterKeySpec")
        if answer.get("KeyUsage") != "SIGN_VERIFY" or spec not in _KMS_ALGORITHMS:
            raise SigningError(
                f"KMS key {self.key_id} is {spec} for {answer.get('KeyUsage')}; "
                f"it must be a SIGN_VERIFY key of {', '.join(_KMS_ALGORITHMS)}"
            )
        self._algorithm = _KMS_ALGORITHMS[spec]
        der = answer["PublicKey"]
        key = serialization.load_der_public_key(der)
        self._public = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, message: bytes) -> bytes:
        self._describe()
        if len(message) > KMS_RAW_LIMIT:
            raise SigningError(f"a {len(message)}-byte message is over KMS's raw limit")
        answer = self._kms().sign(
            KeyId=self.key_id,
            Message=message,
            MessageType="RAW",
            SigningAlgorithm=self._algorithm,
        )
        return bytes(answer["Signature"])

    def public_pem(self) -> bytes:
        self._describe()
        assert self._public is not None
        return self._public
