"""Cache upstreams must be public addresses, as replication destinations must
(chalicelib/replication/destination_guard.py): a rule is made by an admin, but the fetches run
inside the operator's network, where an upstream naming the metadata service, loopback or a
private address would make Berth send requests (and the upstream's credentials) where the
operator never meant, and hand clients redirects into it (SSRF). An admin allows a private
network for one rule (`berth cache add --allow-network CIDR`); the operator for every rule
with BERTH_CACHE_ALLOW_NETWORKS (`berth serve` allows loopback). Checked when a rule is made
(400) and on every connection a fill makes, redirects to upstream's storage included."""

from __future__ import annotations

import urllib.parse

from chalicelib.remote import address_guard
from chalicelib.remote.address_guard import AddressGuard, Resolver, resolve
from chalicelib.remote.transport import RemoteError

ALLOW_NETWORKS_ENV = "BERTH_CACHE_ALLOW_NETWORKS"
HOW_TO_ALLOW = (
    "an admin may allow its network for this rule (berth cache add --allow-network CIDR), "
    f"or the operator for every rule ({ALLOW_NETWORKS_ENV})"
)

# Tests replace this with a resolver whose answers they choose.
resolver: Resolver = resolve


def guard(allow_networks: tuple[str, ...] = ()) -> AddressGuard:
    """The check of every connection to a rule's upstream (and where it redirects)."""
    return address_guard.for_rule(ALLOW_NETWORKS_ENV, HOW_TO_ALLOW, allow_networks, resolver)


def refusal(url: str, allow_networks: tuple[str, ...] = ()) -> str | None:
    """Why a rule with upstream `url` is refused when it is made, or None."""
    return address_guard.check_url(url, guard(allow_networks))


def check_location(url: str, allow_networks: tuple[str, ...] = ()) -> str | None:
    """Why upstream's redirect `url` may not be handed to a client (not http(s), no host,
    or a host resolving to an address the rule may not reach), or None. Unlike a rule, a
    location that does not resolve is refused: it is used now."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url[:100]!r}"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"invalid port in {url[:100]!r}"
    try:
        guard(allow_networks).address(parts.hostname, port)
    except RemoteError as error:
        return str(error)
    return None
