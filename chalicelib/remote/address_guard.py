"""Which addresses a remote-registry connection may go to: every address the host resolves
to must be public (chalicelib/events/targets.py classifies them, as for webhooks) unless the
operator allowed its network. Asked on every connect, not once per name, so a name that
resolves to a public address when checked and to the metadata service a moment later (DNS
rebinding) is refused; the connection then goes to the checked address itself
(chalicelib/remote/pinned.py), never to a second lookup."""

from __future__ import annotations

import os
import socket
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.events import targets
from chalicelib.remote.transport import RemoteError

Resolver = Callable[[str, int], list[str]]


class AddressRefused(RemoteError):
    """The host resolves to an address Berth will not connect to."""


def resolve(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in found})


@dataclass(frozen=True, slots=True)
class AddressGuard:
    allowed: tuple[targets.Network, ...] = ()
    resolver: Resolver = resolve
    # Said in the refusal: how the operator allows a network.
    how_to_allow: str = "the operator may allow its network"

    def refusal(self, addresses: list[str]) -> str | None:
        if not addresses:
            return "resolves to no address"
        for address in addresses:
            reason = targets.refusal(address, self.allowed)
            if reason is not None:
                return reason
        return None

    def address(self, host: str, port: int) -> str:
        """The address to connect to for `host`; AddressRefused if any it resolves to is
        not one Berth may reach."""
        try:
            found = self.resolver(host, port)
        except OSError as error:
            raise RemoteError(f"{host}: {error}") from error
        reason = self.refusal(found)
        if reason is not None:
            raise AddressRefused(f"{host}: {reason}; {self.how_to_allow}")
        return found[0]


def operator_networks(variable: str) -> tuple[targets.Network, ...]:
    """The networks the operator allowed for every rule of a kind: `variable` holds
    comma-separated CIDRs (`berth serve` sets loopback)."""
    values = [v.strip() for v in os.environ.get(variable, "").split(",") if v.strip()]
    return tuple(targets.networks(values))


def for_rule(
    variable: str, how_to_allow: str, extra: tuple[str, ...] = (), resolver: Resolver = resolve
) -> AddressGuard:
    """The check of a rule's connections: the operator's networks plus the rule's own
    (`allowNetworks`, CIDRs an admin gave)."""
    allowed = operator_networks(variable) + tuple(targets.networks(extra))
    return AddressGuard(allowed, resolver, how_to_allow)


def check_url(url: str, guard: AddressGuard) -> str | None:
    """Why a rule naming `url` is refused when it is made (`host: reason; how to allow`), or
    None. A name that does not resolve now is accepted: every connection is checked again."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = guard.resolver(host, port)
    except OSError:
        return None
    reason = guard.refusal(found)
    if reason is None or not found:
        return None
    return f"{host}: {reason}; {guard.how_to_allow}"
