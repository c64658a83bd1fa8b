"""Digests: parsing, validation and hashing that can resume across requests.

Only sha256 and sha512 are accepted, as registered by the OCI image spec. The resumable
hashers come from `rehashes`, whose state serialises to bytes (hashlib objects cannot be
pickled), so a chunked upload can carry its hash state in DynamoDB between requests.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from chalicelib.oci.errors import OCIError

# Hex length of each supported algorithm's encoded part.
ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}
DEFAULT_ALGORITHM = "sha256"

# The image spec's digest grammar (any algorithm), used to tell "malformed" from "unsupported".
_GRAMMAR = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


@dataclass(frozen=True, slots=True)
class Digest:
    algorithm: str
    hex: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def parse_digest(value: str | None, *, what: str = "digest") -> Digest:
    """Parse a client-supplied digest; anything malformed or unsupported is DIGEST_INVALID (400)."""
    if not value:
        raise OCIError("DIGEST_INVALID", f"a {what} is required")
    if not _GRAMMAR.match(value):
        raise OCIError("DIGEST_INVALID", f"{what} {value[:200]!r} is not a valid digest")
    algorithm, _, encoded = value.partition(":")
    length = ALGORITHMS.get(algorithm)
    if length is None:
        raise OCIError(
            "DIGEST_INVALID",
            f"digest algorithm {algorithm[:40]!r} is not supported (use sha256 or sha512)",
        )
    if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise OCIError(
            "DIGEST_INVALID", f"{what} {value[:200]!r} is not {length} lowercase hex characters"
        )
    return Digest(algorithm, encoded)


def checked_digest(value: str) -> Digest:
    """A digest this registry already checked: a parsed manifest's descriptor, one the table
    holds. Split, not checked again; anything a client sends goes through `parse_digest`."""
    algorithm, _, encoded = value.partition(":")
    return Digest(algorithm, encoded)


def is_digest(value: str) -> bool:
    """True when a manifest reference looks like a digest rather than a tag."""
    return ":" in value


def parse_algorithm(value: str | None) -> str:
    if value is None or value == "":
        return DEFAULT_ALGORITHM
    if value not in ALGORITHMS:
        raise OCIError(
            "DIGEST_INVALID",
            f"digest algorithm {value[:40]!r} is not supported (use sha256 or sha512)",
        )
    return value


def compute(data: bytes, algorithm: str = DEFAULT_ALGORITHM) -> Digest:
    return Digest(algorithm, hashlib.new(algorithm, data).hexdigest())


class ResumableHasher(Protocol):
    def update(self, data: bytes) -> None: ...
    def serialize(self) -> bytes: ...
    def finalize(self) -> str: ...


def new_hasher(algorithm: str, state: bytes | None = None) -> ResumableHasher:
    """A hasher for `algorithm`, restored from `state` when given."""
    import rehashes  # lazy: only upload requests hash incrementally

    cls = {"sha256": rehashes.PySha256, "sha512": rehashes.PySha512}[algorithm]
    hasher: ResumableHasher = cls.deserialize(state) if state is not None else cls()
    return hasher
