"""Replication destinations must be public addresses: a rule is made by an admin, but the
copy runs inside the operator's network, where a destination naming the metadata service,
loopback or a private address would make Berth send requests (and the destination's
credentials) where the operator never meant (SSRF). An admin allows a private network for
one destination (`berth replicate add --allow-network CIDR`, as for a webhook); the operator
for every rule with BERTH_REPLICATION_ALLOW_NETWORKS (comma-separated CIDRs; `berth serve`
allows loopback, so two local servers replicate). Checked when a rule is made (a clear refusal)
and on every connection a copy makes (a failed copy, not a crash)."""

from __future__ import annotations

import os
import urllib.parse

from chalicelib.events import targets
from chalicelib.remote.address_guard import AddressGuard, Resolver, resolve
from chalicelib.replication.destinations import Destination, DestinationError

ALLOW_NETWORKS_ENV = "BERTH_REPLICATION_ALLOW_NETWORKS"
HOW_TO_ALLOW = (
    "an admin may allow its network for this destination (berth replicate add "
    f"--allow-network CIDR), or the operator for every rule ({ALLOW_NETWORKS_ENV})"
)


def allowed_networks() -> tuple[targets.Network, ...]:
    values = [v.strip() for v in os.environ.get(ALLOW_NETWORKS_ENV, "").split(",") if v.strip()]
    return tuple(targets.networks(values))


def guard(resolver: Resolver = resolve, extra: tuple[str, ...] = ()) -> AddressGuard:
    """The check of every connection: the operator's networks plus `extra` (the
    destination's own allowNetworks)."""
    return AddressGuard(allowed_networks() + tuple(targets.networks(extra)), resolver, HOW_TO_ALLOW)


def check(destination: Destination, resolver: Resolver = resolve) -> None:
    """Refuse a destination whose host resolves to an address a copy may not reach. A name
    that does not resolve now is accepted: every connection is checked again anyway."""
    if destination.url is None:
        return  # ECR: AWS's own endpoint, reached through botocore
    parts = urllib.parse.urlsplit(destination.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = resolver(host, port)
    except OSError:
        return
    reason = guard(resolver, destination.allow_networks).refusal(found)
    if reason is not None and found:
        raise DestinationError(f"{host}: {reason}; {HOW_TO_ALLOW}")
