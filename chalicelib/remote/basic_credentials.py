"""A username and password for a registry: what a Basic challenge or a token realm gets.

Here rather than in berth/client because the runtime's replication answers the same
challenges (chalicelib/remote/token_flow.py); where berth/ finds them stays client-side."""

from __future__ import annotations

import base64
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def basic(self) -> str:
        """The `Authorization` value for HTTP Basic (a Basic challenge, a token request)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"
