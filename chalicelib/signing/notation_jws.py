"""Notation's JWS signature (`application/jose+json`): a flattened JWS JSON envelope whose
protected header declares `cty` `application/vnd.cncf.notary.payload.v1+json`, the signing
scheme `notary.x509` (critical) and a signing time, whose unprotected `x5c` carries the leaf,
intermediates and root, and whose payload's `targetArtifact` is the signed manifest's
descriptor. The signature is over `BASE64URL(protected) '.' BASE64URL(payload)`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.signing.certificate_chain import chain_error, load_der_certificate, subject_of
from chalicelib.signing.encoding import b64decode, b64url_decode, json_object
from chalicelib.signing.notation_algorithms import signature_error
from chalicelib.signing.notation_certificate import chain_shape_error, leaf_error
from chalicelib.signing.verdict import Verdict, failed, verified

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

FORMAT = "notation-jws"
MEDIA_TYPE = "application/jose+json"
PAYLOAD_CONTENT_TYPE = "application/vnd.cncf.notary.payload.v1+json"
SIGNING_SCHEME = "io.cncf.notary.signingScheme"
SIGNING_TIME = "io.cncf.notary.signingTime"
EXPIRY = "io.cncf.notary.expiry"
# The critical headers this verifier understands; any other in `crit` refuses the signature.
UNDERSTOOD_CRITICAL = frozenset({SIGNING_SCHEME, EXPIRY})
REGISTERED = frozenset({"alg", "cty", "crit", "typ", "kid", "x5c", "jku", "jwk", "x5u", "x5t"})
ENVELOPE_FIELDS = frozenset({"payload", "protected", "header", "signature"})


def verify_notation_jws(
    envelope: bytes,
    subject_digest: str,
    trusted_roots: Sequence[Certificate],
    now: dt.datetime,
) -> Verdict:
    """Verified when the envelope targets `subject_digest`, its signature verifies with the leaf
    of its `x5c`, the leaf is a code-signing certificate valid at the signing time, and the
    chain reaches one of `trusted_roots` at `now`."""
    document = json_object(envelope)
    if document is None or set(document) - ENVELOPE_FIELDS:
        return failed(FORMAT, "envelope is not a flattened JWS JSON object")
    protected_text, payload_text = document.get("protected"), document.get("payload")
    protected_raw, payload = b64url_decode(protected_text), b64url_decode(payload_text)
    signature = b64url_decode(document.get("signature"))
    if protected_raw is None or payload is None or not signature:
        return failed(FORMAT, "envelope lacks base64url protected, payload or signature")
    protected = json_object(protected_raw)
    if protected is None:
        return failed(FORMAT, "protected header is not a JSON object")
    reason = _protected_error(protected, now) or target_error(payload, subject_digest)
    if reason:
        return failed(FORMAT, reason)
    chain = _x5c(document.get("header"))
    if not chain:
        return failed(FORMAT, "unprotected header has no readable x5c certificate chain")
    leaf = chain[0]
    reason = chain_shape_error(chain)
    if reason:
        return failed(FORMAT, reason)
    signing_input = f"{protected_text}.{payload_text}".encode("ascii")
    reason = signature_error(protected.get("alg"), leaf, signature, signing_input)
    if reason:
        return failed(FORMAT, reason)
    signing_time = _rfc3339(protected.get(SIGNING_TIME))
    if signing_time is None:
        return failed(FORMAT, f"{SIGNING_TIME} is missing or not an RFC 3339 time")
    reason = leaf_error(leaf) or validity_error(chain, signing_time, "signing time")
    if reason:
        return failed(FORMAT, reason)
    reason = chain_error(leaf, chain[1:], trusted_roots, now) or ""
    if reason:
        return failed(FORMAT, reason)
    return verified(FORMAT, subject_of(leaf))


def _protected_error(protected: dict[str, Any], now: dt.datetime) -> str:
    if protected.get("cty") != PAYLOAD_CONTENT_TYPE:
        return f"protected cty is {protected.get('cty')!r}, not {PAYLOAD_CONTENT_TYPE}"
    crit = protected.get("crit")
    if not isinstance(crit, list) or SIGNING_SCHEME not in crit:
        return f"protected crit must list {SIGNING_SCHEME}"
    for name in crit:
        if not isinstance(name, str) or name in REGISTERED:
            return f"crit may not list {name!r}"
        if name not in protected:
            return f"crit lists {name!r}, which the protected header lacks"
        if name not in UNDERSTOOD_CRITICAL:
            return f"critical header {name!r} is not understood"
    for name in (EXPIRY,):
        if name in protected and name not in crit:
            return f"{name} must be listed in crit"
    if protected.get(SIGNING_SCHEME) != "notary.x509":
        return f"signing scheme {protected.get(SIGNING_SCHEME)!r} is not supported"
    if EXPIRY in protected:
        expiry = _rfc3339(protected[EXPIRY])
        if expiry is None:
            return f"{EXPIRY} is not an RFC 3339 time"
        if expiry <= now:
            return f"signature expired at {expiry.isoformat()}"
    return ""


def target_error(payload: bytes, subject_digest: str) -> str:
    document = json_object(payload)
    target = document.get("targetArtifact") if document else None
    digest = target.get("digest") if isinstance(target, dict) else None
    if digest != subject_digest:
        return f"payload targets {digest!r}, not {subject_digest}"
    return ""


def _x5c(header: object) -> list[Certificate]:
    encoded = header.get("x5c") if isinstance(header, dict) else None
    if not isinstance(encoded, list) or not encoded:
        return []
    certificates = []
    for item in encoded:
        der = b64decode(item)
        certificate = load_der_certificate(der) if der else None
        if certificate is None:
            return []
        certificates.append(certificate)
    return certificates


def _rfc3339(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def validity_error(chain: Sequence[Certificate], at: dt.datetime, what: str) -> str:
    for certificate in chain:
        if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
            return f"certificate {subject_of(certificate)} is not valid at the {what}"
    return ""
