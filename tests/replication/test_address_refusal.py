"""Which addresses a replication copy (and a webhook) may connect to: the pure
classification, over whole ranges drawn by hypothesis, not a few samples."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.events.targets import networks, refusal

REFUSED_RANGES = [
    "169.254.0.0/16",  # link-local: the instance metadata service
    "fe80::/10",  # IPv6 link-local
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",  # unique local, fd00:ec2::254 (EC2's IPv6 metadata) among them
    "0.0.0.0/32",
    "::/128",
    "224.0.0.0/4",
    "ff00::/8",
]


@st.composite
def address_in(draw: st.DrawFn, cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    offset = draw(st.integers(0, network.num_addresses - 1))
    return str(network.network_address + offset)


refused_addresses = st.sampled_from(REFUSED_RANGES).flatmap(address_in)


@given(refused_addresses)
def test_private_loopback_link_local_unspecified_and_multicast_are_refused(address: str) -> None:
    assert refusal(address) is not None


@given(refused_addresses)
def test_an_ipv4_mapped_ipv6_address_is_judged_as_its_ipv4(address: str) -> None:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        assert refusal(f"::ffff:{ip}") is not None


@given(refused_addresses)
def test_a_network_the_operator_allowed_is_reachable(address: str) -> None:
    ip = ipaddress.ip_address(address)
    own = networks([f"{ip}/{ip.max_prefixlen}"])
    assert refusal(address, own) is None


def test_the_metadata_addresses_are_refused_by_name() -> None:
    assert "link-local" in str(refusal("169.254.169.254"))
    assert refusal("fd00:ec2::254") is not None
    assert refusal("169.254.169.254", networks(["127.0.0.0/8"])) is not None


@given(st.sampled_from(["8.8.8.0/24", "1.1.1.0/24", "2001:4860:4860::/48"]).flatmap(address_in))
def test_public_addresses_are_reachable(address: str) -> None:
    assert refusal(address) is None
