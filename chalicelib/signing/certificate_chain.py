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


def subject_of(certificate: Certificate) -> str:
    """The subject as RFC 4514 text: names a certificate signer in a verdict."""
    return certificate.subject.rfc4514_string()
