"""The login `berth proxy` renews a client's token with, when the token runs out mid-upload.

The proxy sends the registry the client's own token; docker and podman send a whole layer
in one PATCH, so a layer that takes longer than the token's lifetime (`BERTH_TOKEN_TTL`,
300 s) would fail halfway with the client's token refused. The client's password never
reaches the proxy (the client logs in at the registry's realm itself), but on the machine
that runs both it is saved where the client keeps it: under the proxy's own address, which
is what the client logged in to (`docker login 127.0.0.1:5480`), else under the registry's
host, or `$BERTH_USERNAME`/`$BERTH_PASSWORD` (berth/client/credentials.py, the resolver every
`berth` command uses). Looked up when each upload starts, so a login made after the proxy
started counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from berth.client.credentials import Credentials, find_credentials


@dataclass
class SavedLogin:
    registry_host: str
    proxy_host: str | None = None  # host:port, once the proxy has bound it

    def __call__(self) -> Credentials | None:
        for host in (self.proxy_host, self.registry_host):
            found = find_credentials(host) if host else None
            if found is not None:
                return found
        return None
