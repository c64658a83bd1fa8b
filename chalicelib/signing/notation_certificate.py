"""What Notation asks of the signing (leaf) certificate, beyond its chain: key usage present,
critical, digitalSignature and nothing a signing key should not do; the code-signing extended
key usage (the spec makes EKU optional; Berth requires id-kp-codeSigning, so a TLS or
client certificate issued by a trusted CA cannot sign images) and none of the forbidden ones;
not a CA; RSA keys of 2048 bits or more, EC keys of 256 or more."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.x509 import Certificate


def leaf_error(leaf: Certificate) -> str:
    """Empty when the leaf may sign Notation signatures, else why not."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        basic = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    except ValueError as error:
        return f"signing certificate extensions are unreadable: {error}"
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return "signing certificate has no key usage extension"
    ku = usage.value
    if not usage.critical or not ku.digital_signature:
        return "signing certificate key usage must be critical with digitalSignature"
    if ku.key_encipherment or ku.data_encipherment or ku.key_agreement:
        return "signing certificate key usage allows encipherment or key agreement"
    if ku.key_cert_sign or ku.crl_sign:
        return "signing certificate key usage allows certificate or CRL signing"
    if basic is not None and basic.ca:
        return "signing certificate is a CA"
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return "signing certificate has no extended key usage (id-kp-codeSigning required)"
    forbidden = {
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        ExtendedKeyUsageOID.TIME_STAMPING,
    }
    if ExtendedKeyUsageOID.CODE_SIGNING not in eku:
        return "signing certificate lacks the id-kp-codeSigning extended key usage"
    if forbidden & set(eku):
        return "signing certificate has an extended key usage Notation forbids"
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        return "signing certificate RSA key is shorter than 2048 bits"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256:
        return "signing certificate EC key is shorter than 256 bits"
    return ""


def chain_shape_error(chain: Sequence[Certificate]) -> str:
    """Empty when the envelope's chain is ordered leaf first, each certificate issued by the
    next, and ends with a self-issued root, as the signature specification requires."""
    for child, parent in itertools.pairwise(chain):
        if child.issuer != parent.subject:
            return f"certificate {child.subject.rfc4514_string()} is not issued by the next one"
    if chain[-1].issuer != chain[-1].subject:
        return "certificate chain does not end with its root certificate"
    return ""
