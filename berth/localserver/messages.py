"""The request and response as API Gateway sees them: plain values, independent of sockets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def _find(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    found = None
    for key, value in headers:
        if key.lower() == wanted:
            found = value
    return found


@dataclass(frozen=True, slots=True)
class GatewayRequest:
    method: str
    path: str  # as sent, percent-encoded, without the query
    query: str = ""  # as sent, without the "?"
    headers: tuple[tuple[str, str], ...] = ()  # end-to-end headers only, in the client's case
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    # Hand `body` to the handler as bytes rather than base64 text. Only for the upload chunks
    # the local server splits off (splitting.py): no API Gateway event can carry them (Lambda
    # takes 6 MB), so there is no AWS shape to keep, and base64 would cost this process more
    # CPU than everything else a pushed byte costs (Chalice's `raw_body` takes either).
    unencoded: bool = False

    def header(self, name: str) -> str | None:
        """The last value of header `name` (case-insensitive)."""
        return _find(self.headers, name)

    def with_headers(self, **replace: str | None) -> tuple[tuple[str, str], ...]:
        """The headers with `replace` set (`Content_Length` is `Content-Length`); None drops."""
        names = {key.replace("_", "-").lower(): value for key, value in replace.items()}
        kept = tuple((k, v) for k, v in self.headers if k.lower() not in names)
        added = tuple(
            (key.replace("_", "-"), value) for key, value in replace.items() if value is not None
        )
        return kept + added


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # How many Lambda events served this request (more than one when an upload was split).
    events: int = field(default=1, compare=False)
    # A body too large to hold, sent as it is read (its length is in the Content-Length
    # header); `body` is then empty. Only the S3 front streams.
    stream: Iterable[bytes] | None = field(default=None, compare=False)

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)
