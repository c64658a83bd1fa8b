"""Credentials and the distribution token flow (a 401's `WWW-Authenticate` challenge).

Credentials come from $BERTH_USERNAME / $BERTH_PASSWORD, else from the docker config
(`~/.docker/config.json` or $DOCKER_CONFIG, `auths.<host>.auth`; credential helpers are not
run). A `Bearer` challenge is answered with a token from its realm for the push scope; a `Basic`
challenge with the credentials themselves.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def basic(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # "bearer" or "basic"
    params: dict[str, str]


def parse_challenge(value: str | None) -> Challenge | None:
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    return Challenge(scheme.lower(), dict(_PARAM.findall(rest)))


def find_credentials(host: str) -> Credentials | None:
    username, password = os.environ.get("BERTH_USERNAME"), os.environ.get("BERTH_PASSWORD")
    if username and password is not None:
        return Credentials(username, password)
    directory = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    try:
        config = json.loads((Path(directory) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    auths = config.get("auths") if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        return None
    for key in (host, f"https://{host}", f"http://{host}"):
        entry = auths.get(key)
        encoded = entry.get("auth") if isinstance(entry, dict) else None
        if isinstance(encoded, str) and encoded:
            user, _, secret = base64.b64decode(encoded).decode().partition(":")
            return Credentials(user, secret)
    return None
