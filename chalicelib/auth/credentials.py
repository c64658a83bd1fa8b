"""Reading the `Authorization` header: its scheme and value, and Basic credentials. Shared by
every request and the token endpoint; anything malformed reads as no credentials."""

from __future__ import annotations

import base64
import binascii

MAX_CREDENTIAL_LENGTH = 16 * 1024


def basic_credentials(value: str) -> tuple[str, str] | None:
    """`Basic base64(user:password)`, or None when malformed."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        return None
    return username, password


def scheme_of(header: str | None) -> tuple[str, str]:
    if not header or len(header) > MAX_CREDENTIAL_LENGTH:
        return "", ""
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip()
