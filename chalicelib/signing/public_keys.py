"""Trusted public keys (PEM) and the one check made with them: does this signature over these
bytes come from this key. ECDSA P-256/P-384/P-521 (DER signature, SHA-256/384/512 by curve),
RSA PKCS#1 v1.5 or PSS with SHA-256, Ed25519 (over the message itself).

High-S ECDSA signatures are accepted here: cosign and notation sign with Go's `crypto/ecdsa`,
which does not normalise `s`, so refusing them would refuse about half of real signatures, and
malleating a detached signature forges nothing (Berth's own tokens, which it signs itself, stay
low-S only). `s` and `r` outside `[1, n-1]` are refused by the primitive."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    PublicKey = EllipticCurvePublicKey | RSAPublicKey | Ed25519PublicKey


def load_public_key(pem: bytes) -> PublicKey | None:
    """A supported public key from PEM (SubjectPublicKeyInfo), else None."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError):
        return None
    if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        return key
    return None


def key_id(key: PublicKey) -> str:
    """`sha256:` of the DER SubjectPublicKeyInfo: names a key in a verdict."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def signature_verifies(key: PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether `signature` (DER for ECDSA) over `message` verifies under `key`."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            digest = {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}.get(
                key.curve.key_size
            )
            if digest is None:
                return False
            key.verify(signature, message, ec.ECDSA(digest))
        elif isinstance(key, rsa.RSAPublicKey):
            return _rsa_verifies(key, signature, message)
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def _rsa_verifies(key: RSAPublicKey, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    schemes = (
        padding.PKCS1v15(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
    )
    for scheme in schemes:
        try:
            key.verify(signature, message, scheme, hashes.SHA256())
        except (InvalidSignature, ValueError):
            continue
        return True
    return False
