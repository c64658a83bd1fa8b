"""HTTP/1.1 to another registry with the standard library: one kept-alive connection per
origin, bodies sent from an iterator of chunks (a layer is never held whole), no redirect
followed (a registry's 307 to its storage is an answer the caller reads, not a detour).

http.client rather than urllib3: botocore bundles urllib3 but not as a promise to us, and
streaming an iterator with a known Content-Length is what http.client does plainly."""

from __future__ import annotations

import http.client
import ssl
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass

TIMEOUT_SECONDS = 30.0
MAX_BODY = 8 << 20  # a manifest or an error document; blobs are never read through here

Body = bytes | Iterable[bytes] | None


class RemoteError(RuntimeError):
    """The remote registry could not be reached or answered what the protocol forbids."""


class RateLimited(RemoteError):
    """The remote registry answered 429; `retry_after` is its `Retry-After` in seconds (None
    when it sent none or one that could not be read)."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _origin(url: str) -> tuple[str, str, int]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(f"not an http(s) URL: {url[:200]!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port


def _target(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Transport:
    """Requests to any origin; not thread-safe (one replication run uses one). With a
    `guard` ((host, port) -> the address to use; chalicelib/remote/address_guard.py) every
    connect goes to the address it checked (chalicelib/remote/pinned.py)."""

    def __init__(
        self, timeout: float = TIMEOUT_SECONDS, guard: Callable[[str, int], str] | None = None
    ) -> None:
        self.timeout = timeout
        self.guard = guard
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def _connection(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        found = self._connections.get(origin)
        if found is None:
            scheme, host, port = origin
            if self.guard is not None:
                from chalicelib.remote import pinned

                kind = pinned.PinnedHTTPS if scheme == "https" else pinned.PinnedHTTP
                found = kind(host, port, self.guard, self.timeout)
            elif scheme == "https":
                found = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                found = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self._connections[origin] = found
        return found

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: Body = None
    ) -> Answer:
        """One request; a stale kept-alive connection is retried once when the body can be
        sent again (bytes or none), never for a streamed body."""
        origin = _origin(url)
        replayable = body is None or isinstance(body, bytes)
        for attempt in (1, 2):
            connection = self._connection(origin)
            try:
                return self._send(connection, method, url, headers or {}, body)
            except (http.client.HTTPException, OSError) as error:
                connection.close()
                self._connections.pop(origin, None)
                if attempt == 2 or not replayable:
                    raise RemoteError(f"{method} {_origin(url)[1]}: {error}") from error
        raise AssertionError("unreachable")

    def _send(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Body,
    ) -> Answer:
        if body is None and method in ("PUT", "POST", "PATCH"):
            headers = {"Content-Length": "0", **headers}
        elif isinstance(body, bytes):
            headers = {**headers, "Content-Length": str(len(body))}
        connection.request(method, _target(url), body=body, headers=headers)
        response = connection.getresponse()
        data = b"" if method == "HEAD" else response.read(MAX_BODY + 1)
        if len(data) > MAX_BODY:
            connection.close()
            raise RemoteError(f"{method} answer over {MAX_BODY} bytes")
        if not response.isclosed():
            response.read()  # drain so the connection can be kept
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
