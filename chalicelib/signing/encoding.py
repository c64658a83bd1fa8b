"""Strict decoders for the encodings signatures travel in: standard base64 (cosign, DSSE,
Sigstore bundles), unpadded base64url (JWS) and JSON objects; each answers None, never raises."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

_STANDARD = re.compile(rb"\A[A-Za-z0-9+/]*={0,2}\Z")
_URL = re.compile(r"\A[A-Za-z0-9_-]*\Z")


def b64decode(text: object) -> bytes | None:
    """Standard base64, padded; anything else (whitespace, url alphabet, bad length) is None."""
    if not isinstance(text, str):
        return None
    raw = text.encode("ascii", "replace")
    if not _STANDARD.match(raw) or len(raw) % 4:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def b64url_decode(text: object) -> bytes | None:
    """JWS base64url: no padding, url alphabet only (RFC 7515 section 2)."""
    if not isinstance(text, str) or not _URL.match(text) or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def json_object(data: bytes) -> dict[str, Any] | None:
    """A JSON object with no duplicate keys (two parsers must never read two documents)."""
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
