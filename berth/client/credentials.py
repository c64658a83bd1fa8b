"""Who a client logs in as, found where people already keep it, in the order container tools
read it (the one resolver of every `berth` command, push included):

1. given explicitly: `--username`/`--password-stdin`, else $BERTH_USERNAME/$BERTH_PASSWORD;
2. containers auth.json, as `podman login` / `skopeo login` write it: $REGISTRY_AUTH_FILE (else
   $XDG_RUNTIME_DIR/containers/auth.json), then $XDG_CONFIG_HOME/containers/auth.json;
3. docker's config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json).

In each file: `credHelpers[host]`, then `credsStore` (a `docker-credential-<name>` helper),
then `auths[host].auth`. Nothing found: anonymous.
"""

from __future__ import annotations

import os

from chalicelib.remote.basic_credentials import Credentials

__all__ = ["Credentials", "find_credentials"]


def find_credentials(
    host: str, username: str | None = None, password: str | None = None
) -> Credentials | None:
    """The credentials for the registry at `host` (`name:port`), or None: anonymous.
    `username`/`password`: the explicit ones (flags), taking precedence over everything."""
    from berth.client.auth_files import credentials_in, search_order

    username = username or os.environ.get("BERTH_USERNAME")
    if password is None:
        password = os.environ.get("BERTH_PASSWORD")
    if username and password is not None:
        return Credentials(username, password)
    for path in search_order():
        found = credentials_in(path, host)
        if found is not None and (not username or found.username == username):
            return found
    return None
