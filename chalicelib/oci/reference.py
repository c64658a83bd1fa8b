"""Repository name and tag grammar from the distribution spec."""

from __future__ import annotations

import re

from chalicelib.oci.errors import OCIError

NAME_PATTERN = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
TAG_PATTERN = r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"
_NAME = re.compile(NAME_PATTERN)
_TAG = re.compile(TAG_PATTERN)

# Clients cap "host[:port]/name" at 255 characters; leave room for a host.
MAX_NAME_LENGTH = 200


def is_valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME_LENGTH and _NAME.fullmatch(name) is not None


def is_valid_tag(tag: str) -> bool:
    return _TAG.fullmatch(tag) is not None


def check_name(name: str) -> str:
    if not is_valid_name(name):
        raise OCIError(
            "NAME_INVALID",
            f"repository name {name[:256]!r} does not match the OCI name grammar "
            f"(lowercase components separated by '/', at most {MAX_NAME_LENGTH} characters)",
        )
    return name


def check_tag(tag: str) -> str:
    if not is_valid_tag(tag):
        raise OCIError(
            "MANIFEST_INVALID",
            f"tag {tag[:200]!r} does not match [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}",
        )
    return tag


def referrers_tag(digest: str) -> str:
    """The referrers tag schema: `<alg>-<hex>` truncated, invalid characters replaced by '-'."""
    algorithm, _, encoded = digest.partition(":")
    raw = f"{algorithm[:32]}-{encoded[:64]}"
    return re.sub(r"[^a-zA-Z0-9._-]", "-", raw)
