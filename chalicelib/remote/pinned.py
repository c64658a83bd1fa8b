"""http.client connections that ask an AddressGuard where to connect each time they
connect (a kept-alive connection that reconnects asks again) and connect to that address,
while the request's Host header and TLS's SNI and certificate check keep the URL's name.
Like http.client's own connect, they turn Nagle's algorithm off (TCP_NODELAY): a request's
small last segment would otherwise wait for the previous one's acknowledgement."""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable

Guard = Callable[[str, int], str]  # (host, port) -> the checked address


def _connect(address: str, port: int, timeout: float | None) -> socket.socket:
    sock = socket.create_connection((address, port), timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, guard: Guard, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._guard = guard

    def connect(self) -> None:
        self.sock = _connect(self._guard(self.host, self.port), self.port, self.timeout)


class PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, guard: Guard, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._guard = guard

    def connect(self) -> None:
        sock = _connect(self._guard(self.host, self.port), self.port, self.timeout)
        context: ssl.SSLContext = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(sock, server_hostname=self.host)
