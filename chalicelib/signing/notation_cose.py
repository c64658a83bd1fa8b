"""Notation's COSE signature (`application/cose`): a COSE_Sign1_Tagged item (tag 18) whose
protected header carries `alg` (label 1, an integer), `crit` (2), the payload content type (3),
the `notary.x509` signing scheme and an epoch signing time (tag 1), whose unprotected header
carries `x5chain` (33), and whose signature is over the CBOR Sig_structure
`["Signature1", protected, h'', payload]`. Certificate and chain rules are those of the JWS
envelope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.signing import cbor
from chalicelib.signing.certificate_chain import chain_error, load_der_certificate, subject_of
from chalicelib.signing.notation_algorithms import signature_error
from chalicelib.signing.notation_certificate import chain_shape_error, leaf_error
from chalicelib.signing.notation_jws import (
    EXPIRY,
    PAYLOAD_CONTENT_TYPE,
    SIGNING_SCHEME,
    SIGNING_TIME,
    target_error,
    validity_error,
)
from chalicelib.signing.verdict import Verdict, failed, verified

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

FORMAT = "notation-cose"
MEDIA_TYPE = "application/cose"
COSE_SIGN1_TAG = 18
ALGORITHMS = {-7: "ES256", -35: "ES384", -36: "ES512", -37: "PS256", -38: "PS384", -39: "PS512"}
UNDERSTOOD_CRITICAL = frozenset({SIGNING_SCHEME, EXPIRY})
X5CHAIN = 33


def verify_notation_cose(
    envelope: bytes,
    subject_digest: str,
    trusted_roots: Sequence[Certificate],
    now: dt.datetime,
) -> Verdict:
    """Verified under the same conditions as `verify_notation_jws`, for the COSE envelope."""
    try:
        item = cbor.decode(envelope)
    except cbor.CborError as error:
        return failed(FORMAT, f"envelope is not CBOR: {error}")
    parts = item.value if isinstance(item, cbor.Tagged) and item.tag == COSE_SIGN1_TAG else None
    if not isinstance(parts, list) or len(parts) != 4:
        return failed(FORMAT, "envelope is not a COSE_Sign1_Tagged item")
    protected_raw, unprotected, payload, signature = parts
    if not (isinstance(protected_raw, bytes) and isinstance(payload, bytes)):
        return failed(FORMAT, "protected header or payload is not a byte string")
    if not isinstance(signature, bytes) or not isinstance(unprotected, dict):
        return failed(FORMAT, "signature or unprotected header is malformed")
    try:
        protected = cbor.decode(protected_raw)
    except cbor.CborError as error:
        return failed(FORMAT, f"protected header is not CBOR: {error}")
    if not isinstance(protected, dict):
        return failed(FORMAT, "protected header is not a map")
    reason = _protected_error(protected, now) or target_error(payload, subject_digest)
    if reason:
        return failed(FORMAT, reason)
    chain = _x5chain(unprotected.get(X5CHAIN))
    if not chain:
        return failed(FORMAT, "unprotected header has no readable x5chain")
    leaf = chain[0]
    reason = chain_shape_error(chain)
    if reason:
        return failed(FORMAT, reason)
    to_be_signed = cbor.encode(["Signature1", protected_raw, b"", payload])
    alg = ALGORITHMS.get(_int(protected.get(1)) or 0)
    reason = signature_error(alg, leaf, signature, to_be_signed)
    if reason:
        return failed(FORMAT, reason)
    signing_time = _epoch(protected.get(SIGNING_TIME))
    if signing_time is None:
        return failed(FORMAT, f"{SIGNING_TIME} is missing or not an epoch date/time")
    reason = leaf_error(leaf) or validity_error(chain, signing_time, "signing time")
    if reason:
        return failed(FORMAT, reason)
    reason = chain_error(leaf, chain[1:], trusted_roots, now) or ""
    if reason:
        return failed(FORMAT, reason)
    return verified(FORMAT, subject_of(leaf))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _protected_error(protected: dict[object, object], now: dt.datetime) -> str:
    if _int(protected.get(1)) not in ALGORITHMS:
        return f"COSE alg {protected.get(1)!r} is not allowed"
    if protected.get(3) != PAYLOAD_CONTENT_TYPE:
        return f"content type is {protected.get(3)!r}, not {PAYLOAD_CONTENT_TYPE}"
    crit = protected.get(2)
    if not isinstance(crit, list) or SIGNING_SCHEME not in crit:
        return f"crit must list {SIGNING_SCHEME}"
    for label in crit:
        if isinstance(label, int) and 0 <= label <= 8:
            return f"crit may not list label {label}"
        if not isinstance(label, int | str) or label not in protected:
            return f"crit lists {label!r}, which the protected header lacks"
        if label not in UNDERSTOOD_CRITICAL:
            return f"critical header {label!r} is not understood"
    if EXPIRY in protected and EXPIRY not in crit:
        return f"{EXPIRY} must be listed in crit"
    if protected.get(SIGNING_SCHEME) != "notary.x509":
        return f"signing scheme {protected.get(SIGNING_SCHEME)!r} is not supported"
    if EXPIRY in protected:
        expiry = _epoch(protected[EXPIRY])
        if expiry is None:
            return f"{EXPIRY} is not an epoch date/time"
        if expiry <= now:
            return f"signature expired at {expiry.isoformat()}"
    return ""


def _epoch(value: object) -> dt.datetime | None:
    """RFC 8949 epoch date/time: tag 1 over an integer (fractions are not accepted)."""
    if not isinstance(value, cbor.Tagged) or value.tag != 1:
        return None
    seconds = _int(value.value)
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _x5chain(value: object) -> list[Certificate]:
    items = [value] if isinstance(value, bytes) else value
    if not isinstance(items, list) or not items:
        return []
    certificates = []
    for item in items:
        certificate = load_der_certificate(item) if isinstance(item, bytes) else None
        if certificate is None:
            return []
        certificates.append(certificate)
    return certificates
