"""Cache upstreams are held to public addresses as replication destinations are
(chalicelib/cache/upstream_guard.py over chalicelib/remote/address_guard.py): a rule naming a
host that resolves to loopback, link-local, private, unspecified or multicast addresses is
refused when made (400), unless the admin allowed its network on the rule or the operator for
every rule; and every connection a pull makes is checked again and goes to the checked
address, so a name that later resolves to a forbidden address (DNS rebinding) reaches nothing.

Resolvers are lists of answers the test sets; the upstream is the real `berth serve --auth`
of tests/cache/conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.cache import rules, upstream_guard
from tests.api.helpers import assert_ok, digest_of, get_manifest, json_of
from tests.cache.conftest import Upstream, add_rule

PUBLIC = "140.82.1.1"


class Answers:
    """A resolver answering `address` for every name; it records what was asked."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return [self.address]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Answers]:
    """The operator allowed nothing (unlike the other cache tests' loopback)."""
    answers = Answers(PUBLIC)
    monkeypatch.setattr(upstream_guard, "resolver", answers)
    monkeypatch.delenv(upstream_guard.ALLOW_NETWORKS_ENV, raising=False)
    yield answers


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.20.3.4", "not a public address"),
        ("192.168.1.1", "not a public address"),
        ("fd00::5", "not a public address"),
        ("0.0.0.0", "not a public address"),
        ("224.0.0.1", "not a public address"),
    ],
)
def test_a_rule_to_a_forbidden_address_is_refused_when_made(
    client: Any, resolver: Answers, address: str, reason: str
) -> None:
    resolver.address = address
    response = add_rule(client, "up/", "https://registry.internal.test")
    assert response.status_code == 400
    message = json_of(response)["errors"][0]["message"]
    assert reason in message and "registry.internal.test" in message
    assert "--allow-network" in message and upstream_guard.ALLOW_NETWORKS_ENV in message
    assert resolver.asked == [("registry.internal.test", 443)]
    assert client.http.get("/v2/_berth/cache/up").status_code == 404


def test_an_admin_allows_a_network_on_the_rule_and_the_operator_for_all(
    client: Any, resolver: Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver.address = "10.20.3.4"
    allowed = add_rule(
        client, "up/", "https://registry.internal.test", allowNetworks=["10.20.0.0/16"]
    )
    assert_ok(allowed, 201)
    assert json_of(allowed)["allowNetworks"] == ["10.20.0.0/16"]
    assert json_of(client.http.get("/v2/_berth/cache/up"))["allowNetworks"] == ["10.20.0.0/16"]
    other = add_rule(
        client, "up2/", "https://registry.internal.test", allowNetworks=["10.9.0.0/16"]
    )
    assert other.status_code == 400, "another network does not cover it"
    for bad in ("10.20.0.0", ["nonsense"], [1]):
        response = add_rule(client, "up3/", "https://registry.internal.test", allowNetworks=bad)
        assert response.status_code == 400
        assert "allowNetworks" in json_of(response)["errors"][0]["message"]
    monkeypatch.setenv(upstream_guard.ALLOW_NETWORKS_ENV, "10.0.0.0/8")
    assert_ok(add_rule(client, "up4/", "https://registry.internal.test"), 201)


def test_a_name_that_does_not_resolve_yet_is_checked_on_each_connection(
    client: Any, resolver: Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    monkeypatch.setattr(upstream_guard, "resolver", nowhere)
    assert_ok(add_rule(client, "up/", "https://later.test"), 201)


@pytest.fixture
def credentials(
    aws: dict[str, str], upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setattr(rules, "secret_path", lambda: "berth/test/cache/")
    name = f"/berth/test/cache/upstream-{uuid.uuid4().hex[:6]}"
    boto3.client("ssm").put_parameter(
        Name=name, Value=f"admin:{upstream.password}", Type="SecureString"
    )
    return {"ssm": name}


def test_a_name_that_rebinds_to_loopback_reaches_nothing(
    client: Any, upstream: Upstream, resolver: Answers, credentials: dict[str, str]
) -> None:
    """Public when the rule was made, loopback when pulled: refused on connect, 503."""
    remote = f"lib/{uuid.uuid4().hex[:10]}"
    upstream.push(remote, "v1")
    pushed = upstream.requests(remote)
    port = upstream.registry.server.port
    assert_ok(add_rule(client, "up/", f"http://registry.test:{port}", credentials=credentials), 201)
    resolver.address = "127.0.0.1"
    response = get_manifest(client, f"up/{remote}", "v1")
    assert response.status_code == 503
    assert json_of(response)["errors"][0]["code"] == "UNAVAILABLE"
    assert ("registry.test", port) in resolver.asked
    assert upstream.requests(remote) == pushed, "nothing was sent to the rebound address"


def test_an_allowed_network_is_reached_at_the_checked_address(
    client: Any, upstream: Upstream, resolver: Answers, credentials: dict[str, str]
) -> None:
    remote = f"lib/{uuid.uuid4().hex[:10]}"
    pushed = upstream.push(remote, "v1")
    port = upstream.registry.server.port
    resolver.address = "127.0.0.1"
    rule = add_rule(
        client,
        "up/",
        f"http://registry.test:{port}",
        credentials=credentials,
        allowNetworks=["127.0.0.0/8"],
    )
    assert_ok(rule, 201)
    assert get_manifest(client, f"up/{remote}", "v1").body == pushed.body
    assert ("registry.test", port) in resolver.asked
    response = client.http.get(f"/v2/up/{remote}/blobs/{digest_of(pushed.blobs[-1])}")
    assert response.status_code == 307, "upstream's storage, on loopback the rule allows"


@given(
    scheme=st.sampled_from(["file", "ftp", "gopher", "javascript", "data", "ldap", "dict"]),
    rest=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789./:@", max_size=40),
)
def test_a_location_that_is_not_http_is_refused_whatever_it_resolves_to(
    scheme: str, rest: str
) -> None:
    assert upstream_guard.check_location(f"{scheme}://{rest}") is not None


@given(
    address=st.one_of(
        st.ip_addresses(network="10.0.0.0/8"),
        st.ip_addresses(network="127.0.0.0/8"),
        st.ip_addresses(network="169.254.0.0/16"),
        st.ip_addresses(network="172.16.0.0/12"),
        st.ip_addresses(network="192.168.0.0/16"),
        st.ip_addresses(network="224.0.0.0/4"),
        st.ip_addresses(network="fc00::/7"),
        st.ip_addresses(network="fe80::/10"),
    )
)
def test_a_location_resolving_to_a_forbidden_address_is_refused(address: object) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(upstream_guard.ALLOW_NETWORKS_ENV, raising=False)
        patch.setattr(upstream_guard, "resolver", lambda host, port: [str(address)])
        refusal = upstream_guard.check_location("https://storage.test/blob?sig=1")
        assert refusal is not None and str(address) in refusal
        # The same address, allowed on the rule: handed out.
        network = f"{address}/{32 if ':' not in str(address) else 128}"
        assert upstream_guard.check_location("https://storage.test/b", (network,)) is None
