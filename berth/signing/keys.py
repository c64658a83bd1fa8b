"""What signs: a private key from a PEM file, or an asymmetric AWS KMS key (its private half
never leaves KMS). Both sign bytes the way cosign's verifiers expect: ECDSA as DER over the
curve's hash (SHA-256 for P-256, SHA-384 for P-384), RSA PKCS#1 v1.5 with SHA-256, Ed25519."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from chalicelib.signing.kms_signer import KmsKey, SigningError

__all__ = ["KmsKey", "LocalKey", "SigningError"]


@dataclass
class LocalKey:
    """A PKCS#8 or traditional PEM private key (optionally password-protected)."""

    key: Any

    @classmethod
    def load(cls, path: Path, password: bytes | None) -> LocalKey:
        data = path.read_bytes()
        try:
            if b"ENCRYPTED SIGSTORE PRIVATE KEY" in data or b"ENCRYPTED COSIGN PRIVATE KEY" in data:
                key = serialization.load_der_private_key(_open_cosign_key(data, password), None)
            else:
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


def _open_cosign_key(data: bytes, password: bytes | None) -> bytes:
    """The PKCS#8 DER inside cosign's `cosign.key`: a PEM block whose body is JSON naming a
    scrypt KDF (N, r, p, salt) and a NaCl secretbox (nonce) over the ciphertext."""
    import base64
    import hashlib
    import json

    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    lines = [line for line in data.decode(errors="replace").splitlines() if "-----" not in line]
    try:
        document = json.loads(base64.b64decode("".join(lines)))
        kdf, cipher = document["kdf"], document["cipher"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise SigningError(f"cosign key uses {kdf['name']}/{cipher['name']}, not supported")
        params = kdf["params"]
        secret = hashlib.scrypt(
            password or b"",
            salt=base64.b64decode(kdf["salt"]),
            n=int(params["N"]),
            r=int(params["r"]),
            p=int(params["p"]),
            maxmem=256 * 1024 * 1024,
            dklen=32,
        )
        box = SecretBox(secret)
        return bytes(
            box.decrypt(base64.b64decode(document["ciphertext"]), base64.b64decode(cipher["nonce"]))
        )
    except CryptoError:
        raise SigningError(
            "cannot open the cosign key: wrong password ($BERTH_KEY_PASSWORD or $COSIGN_PASSWORD)"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise SigningError(f"not a cosign encrypted key: {error}") from None
