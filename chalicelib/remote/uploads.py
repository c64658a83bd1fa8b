"""Uploading a blob to a remote registry from an iterator of byte chunks (S3's body read a
window at a time): never the whole layer in memory.

    monolithic  POST then one PUT ?digest= streaming every chunk (known size).
    streamed    POST, one PATCH streaming every chunk (no Content-Range: the spec's
                streamed upload, what docker and skopeo send), then PUT ?digest= without
                a body. Registries that store a PUT's body as one more part (Berth among
                them) close this one faster.
    chunked     POST, a PATCH per chunk with its Content-Range, then PUT ?digest=; the
                session's Location and offset are what a run that stops halfway needs to
                go on (`Progress`).

A registry that refuses a body as too large (413: a Berth stage behind Lambda's 6 MB request
limit, or a proxy's) raises `BodyTooLarge`; the caller sends the blob again in `pieces`."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass

from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import Answer, RemoteError

# A request body every registry takes: under the 6 MB a Lambda function behind API Gateway or
# a Function URL accepts (a Berth stage among them), over S3's 5 MiB part minimum is not
# needed (registries assemble chunks themselves).
SMALL_CHUNK = 4 << 20


class BodyTooLarge(RemoteError):
    """The registry refused a request body as too large (413): send smaller chunks."""


@dataclass(frozen=True, slots=True)
class Progress:
    location: str
    offset: int  # bytes the destination acknowledged


def start(registry: RemoteRegistry, repository: str) -> str:
    """Open an upload session; its Location."""
    answer = registry.request("POST", f"/v2/{repository}/blobs/uploads/")
    return _location(answer, "start upload")


def _refused_as_large(answer: Answer, what: str) -> None:
    if answer.status == 413:
        raise BodyTooLarge(f"{what}: 413 {answer.body[:200].decode('utf-8', 'replace')}")


def _location(answer: Answer, what: str) -> str:
    _refused_as_large(answer, what)
    location = answer.header("location")
    if answer.status != 202 or not location:
        raise RemoteError(f"{what}: {answer.status} {answer.body[:200].decode('utf-8', 'replace')}")
    return location


def _with_digest(location: str, digest: str) -> str:
    joiner = "&" if urllib.parse.urlsplit(location).query else "?"
    return f"{location}{joiner}{urllib.parse.urlencode({'digest': digest})}"


def monolithic(
    registry: RemoteRegistry,
    repository: str,
    digest: str,
    size: int,
    chunks: Iterable[bytes],
    location: str | None = None,
) -> None:
    """One PUT of `size` bytes, streamed."""
    registry.ensure_authorized(repository)
    location = location or start(registry, repository)
    answer = registry.request(
        "PUT",
        _with_digest(location, digest),
        {"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        iter(chunks),
    )
    _refused_as_large(answer, f"PUT blob {digest[:80]}")
    if answer.status != 201:
        raise RemoteError(f"PUT blob {digest[:80]}: {answer.status}")


def streamed(
    registry: RemoteRegistry,
    repository: str,
    digest: str,
    size: int,
    chunks: Iterable[bytes],
    location: str | None = None,
) -> None:
    registry.ensure_authorized(repository)
    location = location or start(registry, repository)
    answer = registry.request(
        "PATCH",
        location,
        {"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        iter(chunks),
    )
    location = _location(answer, "PATCH stream")
    answer = registry.request("PUT", _with_digest(location, digest))
    if answer.status != 201:
        raise RemoteError(f"close upload {digest[:80]}: {answer.status}")


def chunked(
    registry: RemoteRegistry,
    repository: str,
    digest: str,
    chunks: Iterable[bytes],
    location: str | None = None,
    offset: int = 0,
    progress: Callable[[Progress], None] | None = None,
) -> None:
    """A PATCH per chunk (each acknowledged before the next), then the closing PUT.
    `location`/`offset` resume a session; `progress` hears every acknowledged chunk."""
    registry.ensure_authorized(repository)
    location = location or start(registry, repository)
    for chunk in chunks:
        if not chunk:
            continue
        end = offset + len(chunk) - 1
        answer = registry.request(
            "PATCH",
            location,
            {"Content-Type": "application/octet-stream", "Content-Range": f"{offset}-{end}"},
            chunk,
        )
        location = _location(answer, f"PATCH {offset}-{end}")
        offset = end + 1
        if progress is not None:
            progress(Progress(location, offset))
    answer = registry.request("PUT", _with_digest(location, digest))
    if answer.status != 201:
        raise RemoteError(f"close upload {digest[:80]}: {answer.status}")


def pieces(chunks: Iterable[bytes], size: int = SMALL_CHUNK) -> Generator[bytes, None, None]:
    """`chunks` cut or joined into pieces of `size` bytes (the last may be shorter), holding
    at most one piece and one chunk."""
    held = bytearray()
    for chunk in chunks:
        held += chunk
        while len(held) >= size:
            yield bytes(held[:size])
            del held[:size]
    if held:
        yield bytes(held)


def acknowledged(registry: RemoteRegistry, location: str) -> int | None:
    """How many bytes an open session holds, as the destination says (GET of the session's
    Location: `Range: 0-<last>`, the spec's upload status); None when it has lost the
    session (404 or any answer without a readable Range)."""
    answer = registry.request("GET", location)
    if answer.status != 204:
        return None
    value = answer.header("range")
    if value is None:
        return None
    first, _, last = value.removeprefix("bytes=").partition("-")
    if first != "0" or not last.isdigit() or int(last) == 0:
        # "0-0" is what registries answer for an empty session and for one byte alike:
        # not knowing which, start a new session rather than send a wrong offset.
        return None
    return int(last) + 1


def patch_chunk(registry: RemoteRegistry, location: str, offset: int, chunk: bytes) -> str:
    """One acknowledged PATCH of `chunk` at `offset`; the session's next Location."""
    end = offset + len(chunk) - 1
    answer = registry.request(
        "PATCH",
        location,
        {"Content-Type": "application/octet-stream", "Content-Range": f"{offset}-{end}"},
        chunk,
    )
    return _location(answer, f"PATCH {offset}-{end}")


def close(registry: RemoteRegistry, location: str, digest: str) -> None:
    """The closing PUT ?digest= without a body."""
    answer = registry.request("PUT", _with_digest(location, digest))
    if answer.status != 201:
        raise RemoteError(f"close upload {digest[:80]}: {answer.status}")
