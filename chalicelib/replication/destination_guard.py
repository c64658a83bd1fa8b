"""Replication destinations must be public addresses: a rule is made by an admin, but the
copy runs inside the operator's network, where a destination naming the metadata service,
loopback or a private address would make Berth send requests (and the destination's
credentials) where the operator never meant (SSRF). An admin allows a private network for
one destination (`berth replicate add --allow-network CIDR`, as for a webhook); the operator
for every rule with BERTH_REPLICATION_ALLOW_NETWORKS (comma-separated CIDRs; `berth serve`
allows loopback, so two local servers replicate). Checked when a rule is made (a clear refusal)
and on every connection a copy makes (a failed copy, not a crash)."""

from __future__ import annotations

from chalicelib.remote import address_guard
from chalicelib.remote.address_guard import AddressGuard, Resolver, resolve
from chalicelib.replication.destinations import Destination, DestinationError

ALLOW_NETWORKS_ENV = "BERTH_REPLICATION_ALLOW_NETWORKS"
HOW_TO_ALLOW = (
    "an admin may allow its network for this destination (berth replicate add "
    f"--allow-network CIDR), or the operator for every rule ({ALLOW_NETWORKS_ENV})"
)


def guard(resolver: Resolver = resolve, extra: tuple[str, ...] = ()) -> AddressGuard:
    """The check of every connection: the operator's networks plus `extra` (the
    destination's own allowNetworks)."""
    return address_guard.for_rule(ALLOW_NETWORKS_ENV, HOW_TO_ALLOW, extra, resolver)


def check(destination: Destination, resolver: Resolver = resolve) -> None:
    """Refuse a destination whose host resolves to an address a copy may not reach."""
    if destination.url is None:
        return  # ECR: AWS's own endpoint, reached through botocore
    refusal = address_guard.check_url(destination.url, guard(resolver, destination.allow_networks))
    if refusal is not None:
        raise DestinationError(refusal)
