"""Does a leaf certificate chain, through the intermediates it came with, to one of the roots
a repository trusts, at a given time: `cryptography.x509.verification` builds and checks the
path (signatures, validity, CA basic constraints and key usage, no SHA-1); the leaf's own
extensions are left to the caller, since each format asks for different ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.x509 import Certificate


def load_certificates(pem: bytes) -> list[Certificate]:
    """Every certificate in a PEM bundle; an unreadable bundle is an empty list."""
    from cryptography import x509

    try:
        return list(x509.load_pem_x509_certificates(pem))
    except ValueError:
        return []


def load_der_certificate(der: bytes) -> Certificate | None:
    """A DER certificate whose key, subject and extensions all parse (`cryptography` parses
    them lazily, so a malformed one would otherwise raise later, mid-verification)."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        certificate = x509.load_der_x509_certificate(der)
        certificate.public_key()
        certificate.subject.rfc4514_string()
        list(certificate.extensions)
        certificate.not_valid_before_utc, certificate.not_valid_after_utc  # noqa: B018
    except (ValueError, UnsupportedAlgorithm):
        return None
    return certificate


def chain_error(
    leaf: Certificate,
    intermediates: Sequence[Certificate],
    roots: Sequence[Certificate],
    at: dt.datetime,
) -> str | None:
    """None when `leaf` chains to one of `roots` at time `at`, else why not."""
    from cryptography.x509 import verification

    if not roots:
        return "no trusted root certificates are configured"
    try:
        verifier = (
            verification.PolicyBuilder()
            .store(verification.Store(list(roots)))
            .time(at)
            .extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=verification.ExtensionPolicy.permit_all(),
            )
            .build_client_verifier()
        )
        verifier.verify(leaf, list(intermediates))
    except (verification.VerificationError, ValueError, TypeError) as error:
        return f"certificate chain does not verify to a trusted root: {error}"
    return None


# Fulcio's OIDC issuer extensions: v2 holds a DER UTF8String, v1 (deprecated) the raw text.
FULCIO_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
FULCIO_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"


def subject_of(certificate: Certificate) -> str:
    """Names a certificate signer in a verdict: a keyless (Fulcio-style) certificate by its
    identity, `<OIDC issuer>|<email or URI>`; any other by its subject as RFC 4514 text."""
    identity = keyless_identity(certificate)
    if identity is not None:
        return f"{identity[0]}|{identity[1]}"
    return certificate.subject.rfc4514_string()


def keyless_identity(certificate: Certificate) -> tuple[str, str] | None:
    """(OIDC issuer, identity) of a certificate that carries Fulcio's issuer extension and a
    SAN email or URI; None for any other certificate."""
    from cryptography import x509

    issuer = None
    for extension in certificate.extensions:
        oid = extension.oid.dotted_string
        value = extension.value
        if oid in (FULCIO_ISSUER_V2, FULCIO_ISSUER_V1) and isinstance(
            value, x509.UnrecognizedExtension
        ):
            issuer = _issuer_text(value.value, der=oid == FULCIO_ISSUER_V2) or issuer
    if issuer is None:
        return None
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    found = [*names.get_values_for_type(x509.RFC822Name)]
    found += names.get_values_for_type(x509.UniformResourceIdentifier)
    return (issuer, found[0]) if found else None


def _issuer_text(raw: bytes, *, der: bool) -> str | None:
    if der:  # UTF8String: tag 0x0c, a short length, the text
        if len(raw) < 2 or raw[0] != 0x0C or raw[1] != len(raw) - 2:
            return None
        raw = raw[2:]
    try:
        return raw.decode() or None
    except UnicodeDecodeError:
        return None
