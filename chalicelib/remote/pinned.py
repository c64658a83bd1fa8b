"""http.client connections that ask an AddressGuard where to connect each time they
connect (a kept-alive connection that reconnects asks again) and connect to that address,
while the request's Host header and TLS's SNI and certificate check keep the URL's name."""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable

Guard = Callable[[str, int], str]  # (host, port) -> the checked address


class PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, guard: Guard, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._guard = guard

    def connect(self) -> None:
        address = self._guard(self.host, self.port)
        self.sock = socket.create_connection((address, self.port), self.timeout)


class PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, guard: Guard, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._guard = guard

    def connect(self) -> None:
        address = self._guard(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout)
        context: ssl.SSLContext = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(sock, server_hostname=self.host)
