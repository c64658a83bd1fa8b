"""The credential files podman, skopeo, buildah and docker keep, where they keep them, and how
an entry for one registry is read from or written to them (containers-auth.json(5); docker's
config.json has the same `auths`/`credHelpers` shape plus `credsStore`)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from berth.client.credential_helpers import helper_get
from berth.client.credentials import Credentials


def containers_auth_file() -> Path:
    """Where `podman login` writes: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/
    auth.json, else /run/containers/$UID/auth.json (what podman uses without a runtime dir)."""
    explicit = os.environ.get("REGISTRY_AUTH_FILE")
    if explicit:
        return Path(explicit)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "containers" / "auth.json"
    return Path("/run/containers") / str(os.getuid()) / "auth.json"


def containers_config_auth_file() -> Path:
    """The persistent one: $XDG_CONFIG_HOME/containers/auth.json (~/.config by default)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "containers" / "auth.json"


def docker_config_file() -> Path:
    """$DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    directory = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return Path(directory) / "config.json"


def search_order() -> list[Path]:
    """The files read, first match wins: the order containers/image reads them in."""
    return [containers_auth_file(), containers_config_auth_file(), docker_config_file()]


def _document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _keys(host: str) -> tuple[str, ...]:
    return (host, f"https://{host}", f"http://{host}")


def credentials_in(path: Path, host: str) -> Credentials | None:
    """`credHelpers[host]`, then `credsStore`, then `auths[host].auth` of the file at `path`."""
    document = _document(path)
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict) and isinstance(helpers.get(host), str):
        return helper_get(helpers[host], host)
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        found = helper_get(store, host)
        if found is not None:
            return found
    auths = document.get("auths")
    if not isinstance(auths, dict):
        return None
    for key in _keys(host):
        entry = auths.get(key)
        encoded = entry.get("auth") if isinstance(entry, dict) else None
        if isinstance(encoded, str) and encoded:
            try:
                user, _, secret = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                continue
            return Credentials(user, secret)
    return None


def _write(path: Path, document: dict[str, Any]) -> None:
    """Owner-only, replaced whole (a half-written file would lose every other login)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".berth-tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(document, out, indent="\t")
        out.write("\n")
    os.replace(temporary, path)


def store(path: Path, host: str, credentials: Credentials) -> None:
    """Set `auths[host]`, keeping every other entry and key of the file."""
    document = _document(path)
    auths = document.get("auths")
    if not isinstance(auths, dict):
        auths = document["auths"] = {}
    encoded = base64.b64encode(f"{credentials.username}:{credentials.password}".encode())
    auths[host] = {"auth": encoded.decode()}
    _write(path, document)


def erase(path: Path, host: str) -> bool:
    """Drop `auths[host]` (any scheme spelling); whether there was one."""
    document = _document(path)
    auths = document.get("auths")
    if not isinstance(auths, dict) or not any(key in auths for key in _keys(host)):
        return False
    for key in _keys(host):
        auths.pop(key, None)
    _write(path, document)
    return True
