"""A real HTTP/1.1 server in front of the gateway: keep-alive, chunked bodies, HEAD, NODELAY.

`chalice local` cannot serve real clients (it drops chunked bodies and answers HEAD with a
body); this server parses HTTP with the stdlib and leaves the rest to `forward`.

Framing is strict, because a request two parsers read differently can smuggle a second one
(issue 11, D10): Content-Length with Transfer-Encoding, several Transfer-Encoding headers, or
any coding but one `chunked` is 400 and the connection closes; so is a chunk line without
CRLF. A body declared larger than any request may be is 413 at once. Connections are capped
(503 past the cap), and every error, the stdlib's own (414, 431, 501) included, is the OCI
JSON error. HTTP/1.0 clients get keep-alive only when they ask and the length is known,
and are then told so (`Connection: keep-alive`), as HTTP/1.0 expects.
"""

from __future__ import annotations

import contextlib
import email.message
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http.client import HTTPException
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from berth.localserver.bodies import MAX_BODY, Body, BodyError, ChunkedBody, FixedBody
from berth.localserver.log import fields, logger
from berth.localserver.messages import GatewayRequest, GatewayResponse

Forwarder = Callable[[GatewayRequest, Body], GatewayResponse]

# After answering early (413, a failed chunk) the unread rest of a body is read and dropped up
# to this much, so the connection stays usable; past it the connection is closed.
DRAIN_LIMIT = 256 * 1024 * 1024
# An idle keep-alive connection is closed after this long.
IDLE_TIMEOUT_SECONDS = 120.0
# Connections served at once (one thread each); past it a connection gets 503 and is closed.
MAX_CONNECTIONS = 256
# Request headers that concern this hop only; API Gateway does not forward them either.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "expect", "trailer"}
    | {"proxy-authorization", "proxy-connection"}
)
# Response headers this server sets itself.
_OWN_HEADERS = _HOP_BY_HOP | {"content-length", "date", "server"}


class BerthHTTPServer(ThreadingHTTPServer):
    """One daemon thread per connection; accepted sockets get TCP_NODELAY."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        forwarder: Forwarder,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.forwarder = forwarder
        self._slots = threading.BoundedSemaphore(max_connections)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread for the connection if a slot is free; else 503 now, and close."""
        if not self._slots.acquire(blocking=False):
            logger.warning("connection refused: too many", extra=fields(client=client_address[0]))
            with contextlib.suppress(OSError):
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        # Without it a response written as headers then body waits ~40 ms for delayed ACKs.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    server: BerthHTTPServer
    raw_requestline: bytes

    def _body(self) -> Body:
        """The body as the headers frame it; BodyError for any framing two parsers could
        read differently (RFC 9112 section 6.3), or a length no request may have."""
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if encodings:
            if lengths:
                raise BodyError("both Content-Length and Transfer-Encoding: ambiguous framing")
            if len(encodings) > 1 or encodings[0].strip().lower() != "chunked":
                shown = ", ".join(encodings)[:60]
                raise BodyError(f"Transfer-Encoding {shown!r}: only one 'chunked' is supported")
            return ChunkedBody(self.rfile, MAX_BODY)
        if len({value.strip() for value in lengths}) > 1:
            raise BodyError("conflicting Content-Length headers")
        text = lengths[0].strip() if lengths else "0"
        if not (text.isascii() and text.isdigit()):
            raise BodyError(f"bad Content-Length {text[:40]!r}")
        if len(text.lstrip("0")) > len(str(MAX_BODY)) or int(text) > MAX_BODY:
            raise BodyError(f"Content-Length {text[:40]}: a body is at most {MAX_BODY}", 413)
        return FixedBody(self.rfile, int(text))

    def _request(self) -> GatewayRequest:
        path, _, query = self.path.partition("?")
        headers = tuple(
            (name, value) for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP
        )
        return GatewayRequest(self.command, path, query, headers, b"", self.client_address[0])

    def _serve(self) -> None:
        started = time.perf_counter()
        request = self._request()
        try:
            body = self._body()
            response = self.server.forwarder(request, body)
            close = not body.drain(DRAIN_LIMIT)
        except BodyError as error:
            response, close = _error(error.status, str(error)), True
        except OSError as error:  # the client went away mid-body; nobody to answer
            logger.info("client disconnected", extra=fields(path=request.path, error=str(error)))
            self.close_connection = True
            return
        except Exception as error:
            logger.error("local server failure", exc_info=error)
            response, close = _error(500, "local server failure; it has been logged"), True
        self._send(response, close=close)
        level = logging.INFO if response.events > 1 or response.status >= 500 else logging.DEBUG
        logger.log(
            level,
            "http",
            extra=fields(
                method=request.method,
                path=request.path,
                status=response.status,
                events=response.events,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            ),
        )

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _send(self, response: GatewayResponse, *, close: bool) -> None:
        head = self.command == "HEAD"
        bodiless = response.status in (204, 304) or response.status < 200
        streamed = response.stream is not None
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        for name, value in response.headers:
            if name.lower() not in _OWN_HEADERS:
                self.send_header(name, value)
            elif (head or streamed) and name.lower() == "content-length":
                self.send_header(name, value)  # HEAD: the length GET would send
        if not head and not bodiless and not streamed:
            self.send_header("Content-Length", str(len(response.body)))
        if self.request_version == "HTTP/1.0":
            # HTTP/1.0 keeps a connection only if asked to, and says so in the answer; a
            # body of unknown length ends when the connection does.
            asked = self.headers.get("Connection", "").strip().lower() == "keep-alive"
            known = head or bodiless or not streamed or _has_length(response)
            close = close or not (asked and known)
            if not close:
                self.send_header("Connection", "keep-alive")
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.stream is not None:
            self._stream(response.stream, send=not head and not bodiless)
        elif not head and not bodiless and response.body:
            self.wfile.write(response.body)

    def _stream(self, pieces: Iterable[bytes], *, send: bool) -> None:
        """Write a streamed body; if its source fails midway, the client sees a short body
        and a closed connection, as from any proxy whose upstream failed."""
        try:
            for piece in pieces:
                if send:
                    self.wfile.write(piece)
        except (OSError, HTTPException) as error:
            logger.warning("streamed body cut short", extra=fields(error=str(error)[:200]))
            self.close_connection = True
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    def parse_request(self) -> bool:
        if self.raw_requestline.startswith(b"\x16\x03"):
            # A TLS ClientHello: clients such as skopeo try HTTPS first, then plain HTTP.
            logger.info(
                "TLS handshake on the plain HTTP port", extra=fields(client=self.client_address[0])
            )
            self.close_connection = True
            return False
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # no headers, no status line: not served
            self.send_error(400, "HTTP/0.9 requests are not supported")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (400 bad request line, 414, 431, 501) as OCI JSON errors,
        not HTML; the connection closes, since what follows cannot be trusted."""
        self.log_error("code %d, message %s", code, message)
        text = message or self.responses.get(code, ("error",))[0]
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = self.protocol_version  # else no status line is sent
        if not getattr(self, "command", None):
            self.command = ""  # no request line parsed
        if not hasattr(self, "headers"):
            self.headers = email.message.Message()
        self._send(_error(code, text), close=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged as JSON in `_serve`; the stdlib's other messages are errors."""
        logger.warning("http server", extra=fields(detail=(format % args)[:300]))


def _has_length(response: GatewayResponse) -> bool:
    return any(name.lower() == "content-length" for name, _ in response.headers)


def _busy() -> bytes:
    body = json.dumps(
        {"errors": [{"code": "UNAVAILABLE", "message": "too many connections; retry"}]}
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _error(status: int, message: str) -> GatewayResponse:
    document = {"errors": [{"code": "UNSUPPORTED", "message": message}]}
    body = json.dumps(document).encode()
    return GatewayResponse(status, (("Content-Type", "application/json"),), body, events=0)


_BUSY = _busy()
