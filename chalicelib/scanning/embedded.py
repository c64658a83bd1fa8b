"""What the layer reader keeps of an executable or a Java archive: not its bytes (megabytes) but
the package evidence found inside (Go build info, cargo-auditable data, Maven coordinates),
stored under the file's own path so whiteouts and later layers treat it like any other file."""

from __future__ import annotations

import json
from typing import Any

# No package database starts with a NUL, so kept evidence cannot be mistaken for one.
MAGIC = b"\0berth-embedded\0"


def encode(kind: str, payload: dict[str, Any]) -> bytes:
    return MAGIC + json.dumps({"kind": kind, **payload}, separators=(",", ":")).encode()


def decode(data: bytes) -> dict[str, Any] | None:
    """The evidence, or None for an ordinary file."""
    if not data.startswith(MAGIC):
        return None
    try:
        document = json.loads(data[len(MAGIC) :])
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
