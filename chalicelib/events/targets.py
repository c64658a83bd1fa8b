"""Which webhook targets Berth will call (pure; resolving names is the caller's).

A webhook URL is chosen by an admin, but the function that calls it runs inside the
operator's network: a URL naming the instance metadata service, loopback or a private
address would turn deliveries into requests the operator never meant (SSRF). So only
`https://` (plain `http://` where the registry runs locally), no credentials in the URL, and
every address the name resolves to must be public, unless an admin allowed its network. The
check is made again at delivery time on the addresses actually connected to, so a name that
later resolves elsewhere (DNS rebinding) is refused too."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query, as sent


def parse(url: str, *, allow_http: bool) -> Target:
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise TargetRefused(f"a webhook URL is a string of at most {MAX_URL} characters")
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in url):
        raise TargetRefused("a webhook URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"not a URL: {error}") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise TargetRefused(f"a webhook URL must use {' or '.join(schemes)}")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("put credentials in the webhook's authorization header, not its URL")
    if not parts.hostname:
        raise TargetRefused("a webhook URL needs a host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default, path)


def networks(values: Iterable[str]) -> list[Network]:
    """Networks an admin allowed (`10.1.2.0/24`); ValueError on a bad one."""
    return [ipaddress.ip_network(v, strict=False) for v in values]


def refusal(address: str, allowed: Iterable[Network] = ()) -> str | None:
    """Why Berth will not connect to `address`, or None if it may."""
    try:
        ip: Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is link-local (instance metadata lives there)"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return f"{ip} is not a public address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def check(addresses: Iterable[str], allowed: Iterable[Network] = ()) -> None:
    """Raises TargetRefused unless every address is one Berth may call."""
    allowed = list(allowed)
    found = list(addresses)
    if not found:
        raise TargetRefused("the webhook's host resolves to no address")
    for address in found:
        reason = refusal(address, allowed)
        if reason is not None:
            raise TargetRefused(
                f"{reason}; an admin may allow its network (berth webhook add --allow-network)"
            )
