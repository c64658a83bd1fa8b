"""A real HTTP/1.1 server in front of the gateway: keep-alive, chunked bodies, HEAD, NODELAY.

`chalice local` cannot serve real clients (it drops chunked bodies and answers HEAD with a
body); this server parses HTTP with the stdlib and leaves the rest to `forward`.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterable
from http.client import HTTPException
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from berth.localserver.bodies import Body, BodyError, ChunkedBody, FixedBody
from berth.localserver.log import fields, logger
from berth.localserver.messages import GatewayRequest, GatewayResponse

Forwarder = Callable[[GatewayRequest, Body], GatewayResponse]

# After answering early (413, a failed chunk) the unread rest of a body is read and dropped up
# to this much, so the connection stays usable; past it the connection is closed.
DRAIN_LIMIT = 256 * 1024 * 1024
# An idle keep-alive connection is closed after this long.
IDLE_TIMEOUT_SECONDS = 120.0
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

    def __init__(self, address: tuple[str, int], forwarder: Forwarder) -> None:
        self.forwarder = forwarder
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, RequestHandler)

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
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding == "chunked":
            return ChunkedBody(self.rfile)
        if encoding:
            raise BodyError(f"Transfer-Encoding {encoding[:40]!r} is not supported")
        lengths = self.headers.get_all("Content-Length") or []
        if len(set(lengths)) > 1:
            raise BodyError("conflicting Content-Length headers")
        text = lengths[0].strip() if lengths else "0"
        if not text.isdigit():
            raise BodyError(f"bad Content-Length {text[:40]!r}")
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
            response, close = _error(400, str(error)), True
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
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged as JSON in `_serve`; the stdlib's other messages are errors."""
        logger.warning("http server", extra=fields(detail=(format % args)[:300]))


def _error(status: int, message: str) -> GatewayResponse:
    document = {"errors": [{"code": "UNSUPPORTED", "message": message}]}
    body = json.dumps(document).encode()
    return GatewayResponse(status, (("Content-Type", "application/json"),), body, events=0)
