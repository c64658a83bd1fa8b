"""The HTTP/1.1 layer alone, in a thread, with a stub forwarder: framing, HEAD, keep-alive."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from berth.localserver.bodies import Body
from berth.localserver.http import BerthHTTPServer
from berth.localserver.messages import GatewayRequest, GatewayResponse


@dataclass
class Echo:
    """Answers with the request body; `respond` can override; records what it saw."""

    seen: list[tuple[GatewayRequest, bytes]] = field(default_factory=list)
    respond: Callable[[GatewayRequest, Body], GatewayResponse] | None = None

    def __call__(self, request: GatewayRequest, body: Body) -> GatewayResponse:
        if self.respond is not None:
            return self.respond(request, body)
        data = body.read(1 << 30)
        self.seen.append((request, data))
        return GatewayResponse(200, (("Content-Type", "application/octet-stream"),), data)


@pytest.fixture
def echo() -> Iterator[tuple[Echo, int]]:
    forwarder = Echo()
    server = BerthHTTPServer(("127.0.0.1", 0), forwarder)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield forwarder, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _raw(port: int, wire: bytes) -> bytes:
    """Send `wire` and read until the server closes or 1 s of silence."""
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(wire)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        return received


def test_chunked_request_body_is_decoded_and_the_next_request_follows(
    echo: tuple[Echo, int],
) -> None:
    forwarder, port = echo
    wire = (
        b"PATCH /v2/a/blobs/uploads/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n"
        b"GET /v2/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    )
    received = _raw(port, wire)
    assert [data for _, data in forwarder.seen] == [b"Wikipedia in \r\n\r\nchunks.", b""]
    assert received.count(b"HTTP/1.1 200 OK") == 2
    # The stub sees no hop-by-hop headers: the body is already de-chunked.
    assert all(k.lower() != "transfer-encoding" for k, _ in forwarder.seen[0][0].headers)


def test_malformed_chunked_body_gets_400_and_the_connection_closes(echo: tuple[Echo, int]) -> None:
    _, port = echo
    wire = b"PATCH /v2/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    received = _raw(port, wire)
    assert received.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in received


def test_keep_alive_serves_two_requests_on_one_connection(echo: tuple[Echo, int]) -> None:
    forwarder, port = echo
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("PUT", "/one", body=b"first")
    first = connection.getresponse()
    assert first.read() == b"first"
    local_port = connection.sock.getsockname()[1]
    connection.request("PUT", "/two", body=b"second")
    assert connection.getresponse().read() == b"second"
    assert connection.sock.getsockname()[1] == local_port  # same TCP connection
    assert [r.path for r, _ in forwarder.seen] == ["/one", "/two"]
    connection.close()


def test_head_has_the_handlers_length_and_no_body(echo: tuple[Echo, int]) -> None:
    forwarder, port = echo
    forwarder.respond = lambda request, body: GatewayResponse(
        200, (("Content-Length", "1234"), ("Docker-Content-Digest", "sha256:ab")), b""
    )
    head = b"HEAD /v2/a/blobs/sha256:ab HTTP/1.1\r\nHost: h\r\n"
    wire = head + b"\r\n" + head + b"Connection: close\r\n\r\n"
    received = _raw(port, wire)
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.count(b"Content-Length: 1234\r\n") == 2
    assert received.endswith(b"\r\n\r\n")  # no body after either header block


def test_every_body_has_exactly_one_content_length(echo: tuple[Echo, int]) -> None:
    forwarder, port = echo
    forwarder.respond = lambda request, body: GatewayResponse(
        201, (("Content-Length", "999"), ("Connection", "keep-alive")), b"abc"
    )
    received = _raw(port, b"GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert received.count(b"Content-Length") == 1
    assert b"Content-Length: 3\r\n" in received
    assert received.endswith(b"\r\n\r\nabc")


def test_an_unread_body_is_drained_so_the_connection_survives(echo: tuple[Echo, int]) -> None:
    forwarder, port = echo
    forwarder.respond = lambda request, body: GatewayResponse(413, (), b"too large")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("PATCH", "/big", body=b"x" * (4 << 20))
    response = connection.getresponse()
    assert (response.status, response.read()) == (413, b"too large")
    connection.request("GET", "/after")
    assert connection.getresponse().status == 413
    connection.close()


def test_keep_alive_requests_do_not_wait_for_delayed_acks(echo: tuple[Echo, int]) -> None:
    """Headers and body are two writes; without TCP_NODELAY each request would take ~40 ms."""
    _, port = echo
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/warm")
    connection.getresponse().read()
    started = time.perf_counter()
    for _ in range(50):
        connection.request("PUT", "/x", body=b"ping")
        assert connection.getresponse().read() == b"ping"
    per_request = (time.perf_counter() - started) / 50
    connection.close()
    assert per_request < 0.02, f"{per_request * 1000:.1f} ms per keep-alive request"


def test_expect_100_continue_is_answered(echo: tuple[Echo, int]) -> None:
    forwarder, port = echo
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"PUT /e HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        received = b""
        while not received.endswith(b"hello"):
            chunk = sock.recv(4096)
            assert chunk, received
            received += chunk
    assert forwarder.seen[0][1] == b"hello"


def test_a_tls_handshake_is_closed_quietly(echo: tuple[Echo, int]) -> None:
    """skopeo tries HTTPS first: close at once so it falls back to plain HTTP."""
    forwarder, port = echo
    received = _raw(port, b"\x16\x03\x01\x00\xde\x01\x00\x00\xda\x03\x03" + b"\x00" * 64)
    assert received == b""
    assert forwarder.seen == []
