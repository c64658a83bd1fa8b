"""Stream a large upload into several PATCH events, as a chunking client would.

moto and the handler hold every event in memory, and so would this process; splitting keeps
each invocation at CHUNK_SIZE bytes whatever the client sends (docker streams a whole layer
in one chunked PATCH, containerd PUTs it in one piece).
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from enum import Enum
from urllib.parse import parse_qsl, urlencode, urlsplit

from berth.localserver.bodies import Body
from berth.localserver.gateway import Gateway
from berth.localserver.messages import GatewayRequest, GatewayResponse
from chalicelib.oci.paths import Resource, parse_path

# Bytes per PATCH event: well above S3's 5 MiB part minimum, small enough to keep memory flat.
CHUNK_SIZE = 16 * 1024 * 1024
# Bodies up to this size go through as one event, unchanged.
SPLIT_THRESHOLD = 8 * 1024 * 1024
# Chunk events in the handler at once, over all connections. A chunk is handed over as bytes
# (`GatewayRequest.unencoded`), and moto, one process, is the bottleneck anyway: one at a
# time keeps memory flat whatever the clients do, at no cost in throughput.
MAX_CHUNKS_IN_FLIGHT = 1

_chunk_slots = threading.BoundedSemaphore(MAX_CHUNKS_IN_FLIGHT)
_RANGE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)")
_BODY_HEADERS = ("Content-Length", "Content-Range", "Transfer-Encoding", "Content-Encoding")


class UploadKind(Enum):
    PATCH = "patch"  # a chunk (or the whole blob) appended to a session
    PUT = "put"  # the last bytes of a session, then close it with ?digest=
    POST = "post"  # a monolithic upload: open a session and close it in one request


def upload_kind(request: GatewayRequest) -> UploadKind | None:
    """Which kind of upload `request` is, or None if its body must go through whole."""
    endpoint = parse_path(request.path)
    if endpoint is None:
        return None
    if endpoint.resource is Resource.UPLOAD and request.method in ("PATCH", "PUT"):
        return UploadKind(request.method.lower())
    digest = any(k == "digest" for k, _ in parse_qsl(request.query))
    if endpoint.resource is Resource.UPLOADS and request.method == "POST" and digest:
        return UploadKind.POST
    return None


def _drop_digest(query: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "digest"])


def _digests(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k == "digest"]


def _start_offset(request: GatewayRequest) -> int | None:
    """Where the client says its bytes start (its Content-Range), if it says."""
    match = _RANGE.match((request.header("Content-Range") or "").strip())
    return int(match.group(1)) if match else None


def _next_offset(response: GatewayResponse, offset: int | None, sent: int) -> int | None:
    """The session's offset after a chunk: its `Range: 0-<last>` header, else our own count."""
    match = _RANGE.match((response.header("Range") or "").strip())
    if match and int(match.group(2)) > 0:
        return int(match.group(2)) + 1
    return None if offset is None else offset + sent


def _target(location: str | None, request: GatewayRequest) -> tuple[str, str]:
    if not location:
        return request.path, request.query
    parts = urlsplit(location)
    return parts.path, parts.query


def _ok(response: GatewayResponse) -> bool:
    return 200 <= response.status < 300


def split_upload(
    gateway: Gateway, request: GatewayRequest, kind: UploadKind, body: Body
) -> GatewayResponse:
    """Send `body` as PATCH events of CHUNK_SIZE, then close the session if the client asked."""
    bare = replace(request, body=b"", headers=request.with_headers(**dict.fromkeys(_BODY_HEADERS)))
    events = 0
    location: str | None = None
    offset = _start_offset(request)
    if kind is UploadKind.POST:
        opened = gateway.invoke(
            replace(bare, query=_drop_digest(request.query), headers=_empty(bare))
        )
        events += 1
        location = opened.header("Location")
        if opened.status != 202 or not location:
            return replace(opened, events=events)
        offset = 0
    last: GatewayResponse | None = None
    while data := body.read(CHUNK_SIZE):  # read outside the slot: a slow client holds none
        size = len(data)
        chunk = _chunk(bare, _target(location, request), data, offset)
        del data
        with _chunk_slots:
            last = gateway.invoke(chunk)
        del chunk
        events += 1
        if not _ok(last):
            return replace(last, events=events)
        location = last.header("Location") or location
        offset = _next_offset(last, offset, size)
    if kind is UploadKind.PATCH and last is not None:
        return replace(last, events=events)
    path, query = _target(location, request)
    final_query = _drop_digest(query)
    if kind is not UploadKind.PATCH:
        extra = urlencode(_digests(request.query))
        final_query = f"{final_query}&{extra}" if final_query else extra
    method = "PATCH" if kind is UploadKind.PATCH else "PUT"
    final = replace(bare, method=method, path=path, query=final_query, headers=_empty(bare))
    return replace(gateway.invoke(final), events=events + 1)


def _chunk(
    bare: GatewayRequest, target: tuple[str, str], data: bytes, offset: int | None
) -> GatewayRequest:
    """A PATCH event carrying `data`, placed at `offset` when it is known."""
    headers: dict[str, str | None] = {"Content_Length": str(len(data))}
    if offset is not None:
        headers["Content_Range"] = f"{offset}-{offset + len(data) - 1}"
    path, query = target
    return replace(
        bare,
        method="PATCH",
        path=path,
        query=_drop_digest(query),
        headers=bare.with_headers(**headers),
        body=data,
        unencoded=True,
    )


def _empty(request: GatewayRequest) -> tuple[tuple[str, str], ...]:
    return request.with_headers(Content_Length="0")
