"""Everything but blob uploads goes to the registry as the client sent it: same method, path,
query and headers (its Authorization included: the proxy holds no credentials), and the
registry's answer comes back as it is, streamed when it is large.

What changes on the way: hop-by-hop headers (dropped by the HTTP server), `Host` (the
registry's), and a `Location` on the registry's own host, which is made relative so the client
comes back through the proxy. Redirects elsewhere (presigned S3 URLs for blob downloads) and
the Bearer challenge's realm are passed as they are: the client runs on the proxy's machine,
so it reaches the registry's token endpoint directly, and the token it gets is for the
registry's service, which is where the proxy sends it (docs/deploy.md, "CI").
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator

from berth.localserver.bodies import Body
from berth.localserver.messages import GatewayRequest, GatewayResponse

TIMEOUT_SECONDS = 300.0
PIECE = 1024 * 1024
# A request body forwarded whole (manifests, token requests, JSON): uploads never come here.
MAX_FORWARDED_BODY = 64 * 1024 * 1024
# An answer without Content-Length is read whole up to this much (JSON lists, errors).
MAX_UNFRAMED_ANSWER = 64 * 1024 * 1024
_DROPPED_ANSWER = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class Upstream:
    """The registry behind the proxy: one keep-alive connection per thread."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"registry URL {base_url!r} needs http:// or https:// and a host")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self._local = threading.local()

    def connection(self) -> http.client.HTTPConnection:
        existing: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if existing is None:
            kind = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            existing = kind(self.netloc, timeout=TIMEOUT_SECONDS, blocksize=PIECE)
            self._local.connection = existing
        return existing

    def drop(self) -> None:
        existing = getattr(self._local, "connection", None)
        if existing is not None:
            existing.close()
            self._local.connection = None

    def relative(self, location: str) -> str:
        """A Location on the registry's own host as a path (the client then asks the proxy)."""
        parts = urllib.parse.urlsplit(location)
        if parts.netloc.lower() != self.netloc.lower() or parts.scheme != self.scheme:
            return location
        return urllib.parse.urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _request_body(body: Body) -> bytes:
    data = body.read(MAX_FORWARDED_BODY + 1)
    if len(data) > MAX_FORWARDED_BODY:
        raise _TooLarge()
    return data


class _TooLarge(Exception):
    pass


def _error(status: int, code: str, message: str) -> GatewayResponse:
    body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
    return GatewayResponse(status, (("Content-Type", "application/json"),), body, events=0)


def forward(upstream: Upstream, request: GatewayRequest, body: Body) -> GatewayResponse:
    """Send `request` to the registry and shape its answer for the client."""
    try:
        data = _request_body(body)
    except _TooLarge:
        return _error(413, "SIZE_INVALID", f"the proxy forwards bodies of {MAX_FORWARDED_BODY}")
    headers = {
        name: value
        for name, value in request.headers
        if name.lower() not in ("host", "content-length")
    }
    if data or request.method in ("PUT", "POST", "PATCH"):
        headers["Content-Length"] = str(len(data))
    target = request.path + (f"?{request.query}" if request.query else "")
    return exchange(upstream, request.method, target, headers, data)


def exchange(
    upstream: Upstream, method: str, target: str, headers: dict[str, str], data: bytes
) -> GatewayResponse:
    """One request to the registry (sent again once on a stale keep-alive connection)."""
    for attempt in range(2):
        connection = upstream.connection()
        try:
            connection.request(method, target, body=data or None, headers=headers)
            reply = connection.getresponse()
            break
        except (OSError, http.client.HTTPException) as error:
            upstream.drop()
            if attempt == 1:
                return _error(502, "UNAVAILABLE", f"the registry cannot be reached: {error}")
    answer = tuple(
        (name, upstream.relative(value) if name.lower() == "location" else value)
        for name, value in reply.getheaders()
        if name.lower() not in _DROPPED_ANSWER
    )
    length = reply.getheader("content-length")
    if method == "HEAD" or reply.status in (204, 304):
        reply.read()
        framed = (*answer, ("Content-Length", length)) if length is not None else answer
        return GatewayResponse(reply.status, framed, b"", events=0)
    if length is not None and int(length) > PIECE:
        return GatewayResponse(
            reply.status,
            (*answer, ("Content-Length", length)),
            b"",
            events=0,
            stream=_pieces(upstream, reply),
        )
    content = reply.read(MAX_UNFRAMED_ANSWER + 1)
    if len(content) > MAX_UNFRAMED_ANSWER:
        upstream.drop()
        return _error(502, "UNAVAILABLE", "the registry's answer is too large to relay")
    if reply.will_close:
        upstream.drop()
    return GatewayResponse(reply.status, answer, content, events=0)


def _pieces(upstream: Upstream, reply: http.client.HTTPResponse) -> Iterator[bytes]:
    """A large answer relayed a piece at a time; the connection is kept only if read whole."""
    try:
        while piece := reply.read(PIECE):
            yield piece
    except BaseException:
        upstream.drop()
        raise
    if reply.will_close:
        upstream.drop()
