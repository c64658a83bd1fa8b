"""The algorithms Notation allows (ES256/384/512, PS256/384/512, by JWS name; COSE's integer
labels map to them) and the rule that `alg` must be the one the signing certificate's key
implies (curve, or RSA modulus 2048/3072/4096), so a signature is never checked under an
algorithm the signer did not choose."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

_EC = {"ES256": (256, 32), "ES384": (384, 48), "ES512": (521, 66)}
_RSA = {"PS256": 2048, "PS384": 3072, "PS512": 4096}


def signature_error(alg: object, leaf: Certificate, signature: bytes, signing_input: bytes) -> str:
    """Empty when `signature` (r||s for ECDSA, as JOSE and COSE encode it) verifies under `alg`
    with the leaf's key, else why not."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    key = leaf.public_key()
    if not isinstance(alg, str) or alg not in _EC.keys() | _RSA.keys():
        return f"alg {alg!r} is not allowed"
    bits = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
    digest = bits[alg[2:]]
    try:
        if alg in _EC:
            curve_bits, size = _EC[alg]
            if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.key_size != curve_bits:
                return f"alg {alg} does not match the signing certificate's key"
            if len(signature) != 2 * size:
                return f"{alg} signature must be {2 * size} bytes"
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(digest))
        else:
            if not isinstance(key, rsa.RSAPublicKey) or key.key_size != _RSA[alg]:
                return f"alg {alg} does not match the signing certificate's key"
            salt = padding.PSS.DIGEST_LENGTH
            key.verify(signature, signing_input, padding.PSS(padding.MGF1(digest), salt), digest)
    except (InvalidSignature, ValueError):
        return "signature does not verify with the signing certificate"
    return ""
