"""An asymmetric AWS KMS key as a signer: its private half never leaves KMS. One
`GetPublicKey` per key (cached), then one `Sign` per signature, as a raw message (KMS hashes it
with the key's algorithm, which is what cosign's verifiers expect: ECDSA DER over SHA-256 for
P-256, SHA-384 for P-384; RSA PKCS#1 v1.5 with SHA-256). Used by `berth sign --kms` and by the
registry's managed signing on push; the client is created lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# KMS signs at most this many bytes as a raw message (a DSSE PAE of a statement is far less).
KMS_RAW_LIMIT = 4096


class SigningError(Exception):
    """The key cannot be used; the message says why and what to do."""


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
        from cryptography.hazmat.primitives import serialization

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
