"""The optional descriptor fields, checked against the types the image spec gives them.

A registry reads some of them to decide what a manifest needs (a foreign layer with `urls`
need not be pushed), and serves all of them to clients that trust the types: `"urls": 5`
once skipped the existence check of a layer that no client could ever fetch. So each field
that is present must have the spec's type (descriptor.md; `platform` from image-index.md).
A `null` counts as absent, as Go's encoder writes unset fields that lack `omitempty`.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Any

from chalicelib.oci.errors import OCIError


def is_text(value: Any) -> bool:
    """A string that can be stored: JSON escapes can smuggle in lone surrogates, which are
    not valid UTF-8 and which DynamoDB would refuse."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _invalid(message: str) -> OCIError:
    return OCIError("MANIFEST_INVALID", message)


def is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(is_text(item) for item in value)


def is_text_map(value: Any) -> bool:
    return isinstance(value, dict) and all(is_text(k) and is_text(v) for k, v in value.items())


def is_base64(value: Any) -> bool:
    """RFC 4648 section 4: the standard alphabet, padded."""
    if not is_text(value) or not value.isascii():
        return False
    try:
        b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def urls_of(value: dict[str, Any], where: str) -> tuple[str, ...]:
    """The descriptor's `urls` (empty when absent)."""
    urls = value.get("urls")
    if urls is None:
        return ()
    if not is_text_list(urls) or not all(urls):
        raise _invalid(f"{where}.urls must be an array of non-empty strings")
    return tuple(urls)


def _check_platform(platform: Any, where: str) -> None:
    if not isinstance(platform, dict):
        raise _invalid(f"{where} must be an object")
    for key in ("architecture", "os"):
        if not is_text(platform.get(key)):
            raise _invalid(f"{where}.{key} is required and must be a string")
    for key in ("os.version", "variant"):
        if platform.get(key) is not None and not is_text(platform[key]):
            raise _invalid(f"{where}.{key} must be a string")
    for key in ("os.features", "features"):
        if platform.get(key) is not None and not is_text_list(platform[key]):
            raise _invalid(f"{where}.{key} must be an array of strings")


def check_optional(value: dict[str, Any], where: str) -> None:
    """Refuse (MANIFEST_INVALID) a descriptor whose optional fields have the wrong type."""
    urls_of(value, where)
    if value.get("annotations") is not None and not is_text_map(value["annotations"]):
        raise _invalid(f"{where}.annotations must be a map of strings to strings")
    if value.get("data") is not None and not is_base64(value["data"]):
        raise _invalid(f"{where}.data must be a base64 (RFC 4648) string")
    if value.get("artifactType") is not None and not is_text(value["artifactType"]):
        raise _invalid(f"{where}.artifactType must be a string")
    if value.get("platform") is not None:
        _check_platform(value["platform"], f"{where}.platform")
