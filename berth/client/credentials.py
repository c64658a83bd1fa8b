"""Who a client logs in as, found where docker users already keep it.

$BERTH_USERNAME / $BERTH_PASSWORD first (CI sets them), else the docker config
(`~/.docker/config.json` or $DOCKER_CONFIG, `auths.<host>.auth`), so a `docker login` serves
Berth's tools too. Credential helpers are not run: they would make a push depend on a
desktop keychain.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def basic(self) -> str:
        """The `Authorization` value for HTTP Basic (a Basic challenge, a token request)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


def find_credentials(host: str) -> Credentials | None:
    """The credentials for the registry at `host` (`name:port`), or None: anonymous."""
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
