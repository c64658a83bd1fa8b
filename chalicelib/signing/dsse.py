"""DSSE's pre-authentication encoding (envelope.proto in the Sigstore specs): what a DSSE
signature signs, so that the payload type is authenticated along with the payload."""

from __future__ import annotations


def pae(payload_type: str, payload: bytes) -> bytes:
    """`"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`, lengths in ASCII decimal."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)
