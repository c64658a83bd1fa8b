"""Connection-time checks of a remote registry's address (chalicelib/remote/address_guard.py
through chalicelib/remote/transport.py): every connect asks the resolver again and goes to
the address it checked, so a name that answered an allowed address and then the metadata
service (DNS rebinding) is refused on the next connection, before anything is sent there.

The "registry" is a small HTTP server on loopback in this process; the resolver is a list
of answers the test controls."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from chalicelib.events.targets import networks
from chalicelib.remote.address_guard import AddressGuard, AddressRefused
from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import Transport
from chalicelib.replication import destination_guard
from chalicelib.replication.destinations import Destination, DestinationError


class _Handler(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    _Handler.hosts = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


class Answers:
    """A resolver whose answers the test sets; it records every lookup."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


LOOPBACK = networks(["127.0.0.0/8"])


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(server: int) -> None:
    resolver = Answers(["127.0.0.1"])
    transport = Transport(5.0, AddressGuard(tuple(LOOPBACK), resolver).address)
    answer = transport.request("GET", f"http://registry.test:{server}/v2/")
    assert answer.status == 200
    assert _Handler.hosts == [f"registry.test:{server}"]
    assert resolver.asked == [("registry.test", server)]


def test_a_name_that_rebinds_to_the_metadata_service_is_refused_on_the_next_connection(
    server: int,
) -> None:
    resolver = Answers(["127.0.0.1"], ["169.254.169.254"])
    registry = RemoteRegistry(
        f"http://registry.test:{server}",
        transport=Transport(5.0, AddressGuard(tuple(LOOPBACK), resolver).address),
    )
    assert registry.request("GET", "/v2/").status == 200
    registry.transport.close()  # the next request opens a new connection
    with pytest.raises(AddressRefused, match="link-local"):
        registry.request("GET", "/v2/")
    assert len(_Handler.hosts) == 1  # nothing more reached the server
    assert len(resolver.asked) == 2


def test_a_clone_for_another_thread_keeps_the_guard(server: int) -> None:
    resolver = Answers(["10.0.0.1"])
    registry = RemoteRegistry(
        f"http://registry.test:{server}",
        transport=Transport(5.0, AddressGuard((), resolver).address),
    )
    with pytest.raises(AddressRefused, match="not a public address"):
        registry.clone().request("GET", "/v2/")
    assert _Handler.hosts == []


def test_any_refused_address_among_several_refuses_the_name() -> None:
    guard = AddressGuard((), Answers(["8.8.8.8", "192.168.1.1"]))
    with pytest.raises(AddressRefused, match=r"192\.168\.1\.1"):
        guard.address("mixed.test", 443)


def test_a_rule_to_a_private_or_metadata_destination_is_refused_when_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(destination_guard.ALLOW_NETWORKS_ENV, raising=False)
    metadata = Destination("registry", url="http://metadata.test")
    with pytest.raises(DestinationError, match=destination_guard.ALLOW_NETWORKS_ENV):
        destination_guard.check(metadata, Answers(["169.254.169.254"]))
    with pytest.raises(DestinationError, match="loopback"):
        destination_guard.check(
            Destination("registry", url="http://127.0.0.1:5000"), Answers(["127.0.0.1"])
        )
    destination_guard.check(
        Destination("registry", url="https://ghcr.test"), Answers(["140.82.1.1"])
    )
    monkeypatch.setenv(destination_guard.ALLOW_NETWORKS_ENV, "127.0.0.0/8, ::1/128")
    destination_guard.check(
        Destination("registry", url="http://127.0.0.1:5000"), Answers(["127.0.0.1"])
    )
    with pytest.raises(DestinationError):
        destination_guard.check(metadata, Answers(["169.254.169.254"]))


def test_a_name_that_does_not_resolve_yet_is_checked_at_delivery_instead() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    destination_guard.check(Destination("registry", url="https://later.test"), nowhere)


def test_an_admin_allows_a_private_network_for_one_destination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found trying it as a user: a replica inside the VPC could only be allowed through the
    function's environment; a webhook's admin could already allow a network per webhook."""
    from chalicelib.replication.destinations import parse
    from chalicelib.replication.sinks import RegistrySink, open_sink

    monkeypatch.delenv(destination_guard.ALLOW_NETWORKS_ENV, raising=False)
    internal = Answers(["10.20.3.4"])
    plain = parse({"kind": "registry", "url": "https://registry.internal.test"})
    with pytest.raises(DestinationError, match="--allow-network"):
        destination_guard.check(plain, internal)
    allowed = parse(
        {
            "kind": "registry",
            "url": "https://registry.internal.test",
            "allowNetworks": ["10.20.0.0/16"],
        }
    )
    assert allowed.document()["allowNetworks"] == ["10.20.0.0/16"]
    destination_guard.check(allowed, internal)
    # Only that network: the metadata service and other private ranges stay refused.
    with pytest.raises(DestinationError, match="link-local"):
        destination_guard.check(allowed, Answers(["169.254.169.254"]))
    with pytest.raises(DestinationError):
        destination_guard.check(allowed, Answers(["10.99.0.1"]))
    # Every connection a copy opens is checked with the destination's networks too.
    for answer, refused in (("10.20.9.9", False), ("10.99.0.1", True)):
        sink = open_sink(allowed, "team/app", resolver=Answers([answer]))
        assert isinstance(sink, RegistrySink) and sink.registry.transport.guard is not None
        if refused:
            with pytest.raises(AddressRefused):
                sink.registry.transport.guard("registry.internal.test", 443)
        else:
            assert sink.registry.transport.guard("registry.internal.test", 443) == answer
    for bad in (["not a network"], "10.0.0.0/8", [f"10.{n}.0.0/16" for n in range(11)]):
        with pytest.raises(DestinationError, match="allowNetworks"):
            parse({"kind": "registry", "url": "https://r.test", "allowNetworks": bad})
    with pytest.raises(DestinationError, match="allowNetworks"):
        parse(
            {
                "kind": "ecr",
                "account": "123456789012",
                "region": "us-east-1",
                "allowNetworks": ["10.0.0.0/8"],
            }
        )


def test_a_pinned_connection_turns_nagle_off_as_http_client_does(server: int) -> None:
    """http.client's own connect sets TCP_NODELAY; the pinned connections replace that
    connect, and had dropped it, so a request's last small segment waited for an ACK."""
    import socket

    from chalicelib.remote.pinned import PinnedHTTP

    guard = AddressGuard(tuple(LOOPBACK), Answers(["127.0.0.1"])).address
    connection = PinnedHTTP("registry.test", server, guard, 5.0)
    connection.connect()
    assert connection.sock is not None
    assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    connection.close()
