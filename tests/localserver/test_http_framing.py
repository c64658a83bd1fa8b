"""Issue 11, D10: the local server's HTTP framing, attacked with raw sockets.

Ambiguous framing (Content-Length with Transfer-Encoding, two Transfer-Encodings, bare-LF
chunk lines) is 400 and the connection closes, so nothing can be smuggled behind it; an
oversize body is 413 at once; connections are capped; the stdlib's own errors are OCI JSON;
HTTP/1.0 keep-alive clients (ApacheBench -k) are told the connection stays open."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from berth.localserver.bodies import MAX_BODY, Body
from berth.localserver.http import BerthHTTPServer
from berth.localserver.messages import GatewayRequest, GatewayResponse
from tests.localserver.test_http import Echo

# Guards against a hang only: every answer here comes at once, or the test has failed.
HANG_GUARD_SECONDS = 10


def _serve(forwarder: Echo, max_connections: int = 64) -> Iterator[int]:
    server = BerthHTTPServer(("127.0.0.1", 0), forwarder, max_connections=max_connections)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def echo() -> Iterator[tuple[Echo, int]]:
    forwarder = Echo()
    for port in _serve(forwarder):
        yield forwarder, port


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD_SECONDS)


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _exchange(port: int, wire: bytes) -> bytes:
    with _connect(port) as sock:
        sock.sendall(wire)
        return _until_closed(sock)


def _one_response(sock: socket.socket, *, head: bool = False) -> tuple[bytes, bytes]:
    """One response's head and body from a connection that stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {received!r}"
        received += chunk
    top, _, body = received.partition(b"\r\n\r\n")
    length = 0
    for line in top.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and not head:
            length = int(value)
    while len(body) < length:
        body += sock.recv(65536)
    return top, body


def _oci_error(received: bytes, status: int) -> dict[str, object]:
    assert received.startswith(f"HTTP/1.1 {status} ".encode()), received[:200]
    top, _, body = received.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in top and b"<html" not in body.lower()
    document = json.loads(body)
    error: dict[str, object] = document["errors"][0]
    assert isinstance(error["code"], str) and error["message"]
    return error


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"


def test_content_length_with_transfer_encoding_is_400_and_nothing_is_smuggled(
    echo: tuple[Echo, int],
) -> None:
    forwarder, port = echo
    for order in (
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    ):
        wire = b"POST /v2/x HTTP/1.1\r\nHost: h\r\n" + order + b"\r\n0\r\n\r\n" + SMUGGLED
        received = _exchange(port, wire)
        assert received.count(b"HTTP/1.1") == 1  # one answer, then the connection closed
        assert b"Connection: close" in received
        assert "ambiguous" in str(_oci_error(received, 400)["message"])
    assert not forwarder.seen


@pytest.mark.parametrize(
    "codings",
    [
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
        b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
        b"Transfer-Encoding: chunked, identity\r\n",
    ],
)
def test_any_transfer_encoding_but_one_chunked_is_400(
    echo: tuple[Echo, int], codings: bytes
) -> None:
    forwarder, port = echo
    wire = b"POST /v2/x HTTP/1.1\r\nHost: h\r\n" + codings + b"\r\n0\r\n\r\n" + SMUGGLED
    received = _exchange(port, wire)
    assert received.count(b"HTTP/1.1") == 1 and b"Connection: close" in received
    _oci_error(received, 400)
    assert not forwarder.seen


@pytest.mark.parametrize(
    "chunks",
    [
        b"4\nWiki\r\n0\r\n\r\n",  # size line
        b"4\r\nWiki\n0\r\n\r\n",  # the CRLF after the data
        b"4\r\nWiki\r\n0\n\r\n",  # last chunk
        b"4\r\nWiki\r\n0\r\n\n",  # end of trailers
        b"0x4\r\nWiki\r\n0\r\n\r\n",
        b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n",
        b" +4\r\nWiki\r\n0\r\n\r\n",
    ],
)
def test_chunk_lines_must_be_exact(echo: tuple[Echo, int], chunks: bytes) -> None:
    forwarder, port = echo
    wire = b"PATCH /v2/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    received = _exchange(port, wire + SMUGGLED)
    assert received.count(b"HTTP/1.1") == 1 and b"Connection: close" in received
    _oci_error(received, 400)
    assert [request.path for request, _ in forwarder.seen] == []


@pytest.mark.parametrize(
    "framing",
    [
        f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode(),
        b"Content-Length: 99999999999999999999999999999999\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc",
        b"Transfer-Encoding: chunked\r\n\r\n" + f"{MAX_BODY + 1:x}".encode() + b"\r\nabc",
    ],
)
def test_a_body_larger_than_any_request_is_413_at_once(
    echo: tuple[Echo, int], framing: bytes
) -> None:
    _, port = echo
    received = _exchange(port, b"PUT /v2/x/blobs/uploads/u HTTP/1.1\r\nHost: h\r\n" + framing)
    assert b"Connection: close" in received
    _oci_error(received, 413)


def test_an_early_answer_to_a_long_body_is_sent_at_once_and_closes() -> None:
    """The handler refuses without reading (as the gateway's 413 does); the server does not
    hold that answer while it waits to drain bytes the client may never send."""
    forwarder = Echo(respond=lambda request, body: GatewayResponse(413, (), b"too large"))
    for port in _serve(forwarder):
        with _connect(port) as sock:
            sock.sendall(b"PUT /v2/x/manifests/y HTTP/1.1\r\nHost: h\r\n")
            sock.sendall(f"Content-Length: {MAX_BODY}\r\n\r\npartial".encode())
            received = _until_closed(sock)
        assert received.startswith(b"HTTP/1.1 413") and b"Connection: close" in received
        assert received.endswith(b"too large")


@pytest.mark.parametrize(
    ("wire", "status"),
    [
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", 501),
        (b"GET\r\n\r\n", 400),
        (b"GET /v2/\r\n\r\n", 400),  # HTTP/0.9: no status line would be sent
        (b"GET / HTTP/1.0\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),
    ],
)
def test_the_stdlibs_own_refusals_are_oci_json(
    echo: tuple[Echo, int], wire: bytes, status: int
) -> None:
    forwarder, port = echo
    received = _exchange(port, wire)
    _oci_error(received, status)
    assert not forwarder.seen


def test_connections_over_the_cap_get_503_and_a_freed_slot_is_reused() -> None:
    forwarder = Echo()
    for port in _serve(forwarder, max_connections=2):
        held = [_connect(port), _connect(port)]
        for sock in held:  # each has its thread now: it answered
            sock.sendall(b"GET /held HTTP/1.1\r\nHost: h\r\n\r\n")
            assert _one_response(sock)[0].startswith(b"HTTP/1.1 200")
        with _connect(port) as third:
            received = _until_closed(third)
        error = _oci_error(received, 503)
        assert error["code"] == "UNAVAILABLE" and b"Retry-After: 1" in received
        held.pop().close()  # its thread ends and frees the slot
        served = None
        for _ in range(1000):  # the freed slot shows once that thread has ended
            with _connect(port) as again:
                again.sendall(b"GET /again HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                answer = _until_closed(again)
            if answer.startswith(b"HTTP/1.1 200"):
                served = answer
                break
            assert answer.startswith(b"HTTP/1.1 503")
        assert served is not None
        held.pop().close()


def test_http_1_0_keep_alive_is_answered_as_http_1_0_expects(echo: tuple[Echo, int]) -> None:
    """ApacheBench -k: HTTP/1.0 with `Connection: Keep-Alive` waits for the server to close
    unless the answer says keep-alive; HEAD then has no body to wait for either."""
    forwarder, port = echo
    with _connect(port) as sock:
        for _ in range(3):
            sock.sendall(b"HEAD /v2/ HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            top, body = _one_response(sock, head=True)
            assert top.startswith(b"HTTP/1.1 200") and b"Connection: keep-alive" in top
            assert body == b""
        sock.sendall(b"PUT /v2/x HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi")
        top, body = _one_response(sock)
        assert b"Connection: keep-alive" in top and body == b"hi"
        sock.sendall(b"GET /v2/ HTTP/1.0\r\n\r\n")  # no keep-alive asked: closed after
        last = _until_closed(sock)
        assert last.startswith(b"HTTP/1.1 200") and b"Connection: close" in last
    assert len(forwarder.seen) == 5


def test_http_1_0_stream_of_unknown_length_closes(echo: tuple[Echo, int]) -> None:
    forwarder, port = echo

    def streamed(request: GatewayRequest, body: Body) -> GatewayResponse:
        return GatewayResponse(200, (), events=0, stream=iter([b"ab", b"cd"]))

    forwarder.respond = streamed
    received = _exchange(port, b"GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert b"Connection: close" in received and received.endswith(b"abcd")
