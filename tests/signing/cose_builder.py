"""A CBOR encoder written for the tests from RFC 8949 (independent of chalicelib.signing.cbor)
and Notation COSE_Sign1 envelopes built with it as signature-envelope-cose.md describes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.signing.pki import NOW, SUBJECT, Issued, der, jws_sign, notation_payload

ALG = {"ES256": -7, "ES384": -35, "ES512": -36, "PS256": -37, "PS384": -38, "PS512": -39}


@dataclass(frozen=True)
class Tag:
    number: int
    value: Any


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + n.to_bytes(4, "big")
    return bytes([(major << 5) | 27]) + n.to_bytes(8, "big")


def cbor(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        return _head(3, len(value.encode())) + value.encode()
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    assert isinstance(value, Tag)
    return _head(6, value.number) + cbor(value.value)


def cose_protected(alg: str = "ES256", extra: dict[Any, Any] | None = None) -> dict[Any, Any]:
    header: dict[Any, Any] = {
        1: ALG[alg],
        2: ["io.cncf.notary.signingScheme"],
        3: "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": Tag(1, int(NOW.timestamp())),
    }
    header.update(extra or {})
    return header


def cose_envelope(
    signer: Issued,
    chain: list[Any],
    *,
    alg: str = "ES256",
    protected: dict[Any, Any] | None = None,
    payload: bytes | None = None,
    signed_payload: bytes | None = None,
    tag: int = 18,
) -> bytes:
    body_protected = cbor(protected if protected is not None else cose_protected(alg))
    payload = payload if payload is not None else notation_payload(SUBJECT)
    signed = signed_payload if signed_payload is not None else payload
    to_be_signed = cbor(["Signature1", body_protected, b"", signed])
    signature = jws_sign(signer.key, alg, to_be_signed)
    unprotected = {33: [der(c) for c in [signer.certificate, *chain]]}
    return cbor(Tag(tag, [body_protected, unprotected, payload, signature]))
