"""One webhook POST: to an address that was checked, with a short timeout, no redirects.

The name is resolved here and every address checked (chalicelib/events/targets.py); the
connection then goes to the checked address itself, so a name that resolves to something
else a moment later (DNS rebinding) cannot redirect the request."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chalicelib.events import targets

SNIPPET = 512
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # None: no HTTP answer
    latency_ms: int
    error: str | None = None
    response: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def resolve(host: str, port: int) -> list[str]:
    return sorted(
        {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    )


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with the certificate checked against the URL's name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_http: bool,
    allowed: Iterable[targets.Network],
    timeout: float,
    resolver: Resolver = resolve,
) -> Outcome:
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        target = targets.parse(url, allow_http=allow_http)
        addresses = resolver(target.host, target.port)
        targets.check(addresses, allowed)
    except (targets.TargetRefused, OSError) as error:
        return Outcome(None, elapsed(), f"refused: {error}")
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target.host, target.port, addresses[0], timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        snippet = answer.read(SNIPPET).decode("utf-8", "replace")
        status = answer.status
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, elapsed(), f"{type(error).__name__}: {error}"[:300])
    finally:
        connection.close()
    problem = None
    if not 200 <= status < 300:
        problem = f"HTTP {status}"
        if 300 <= status < 400:
            problem += " (redirects are not followed)"
    return Outcome(status, elapsed(), problem, snippet)
