"""A blob read from a remote registry as a stream: the pull-through cache writes it to S3 a
window at a time, so a layer of any size passes through bounded memory.

Registries answer a blob GET with a redirect to their storage (S3, a CDN) or with the bytes;
the redirect is followed here without the registry's `Authorization` (it is for the registry,
and the storage URL carries its own signature), or handed back unfollowed (`locate_blob`: the
pull-through cache sends its client there). Every connection goes through the session's
address guard, redirects included. A 401 is answered once through the session's token flow
(a cheap HEAD), then the GET is sent again with the token."""

from __future__ import annotations

import http.client
import ssl
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chalicelib.remote.session import RemoteRegistry, rate_limited
from chalicelib.remote.transport import Answer, RemoteError

MAX_REDIRECTS = 4
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Download:
    """An open blob answer: its size (Content-Length) and its body, to read once."""

    size: int
    response: http.client.HTTPResponse
    connection: http.client.HTTPConnection

    def chunks(self, window: int) -> Iterator[bytes]:
        try:
            while data := self.response.read(window):
                yield data
        finally:
            self.close()

    def close(self) -> None:
        self.connection.close()


Guard = Callable[[str, int], str] | None


def _connect(url: str, timeout: float, guard: Guard) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(f"not an http(s) URL: {url[:200]!r}")
    if guard is not None:
        from chalicelib.remote import pinned

        port = parts.port or (443 if parts.scheme == "https" else 80)
        kind = pinned.PinnedHTTPS if parts.scheme == "https" else pinned.PinnedHTTP
        return kind(parts.hostname, port, guard, timeout)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _get(url: str, headers: dict[str, str], timeout: float, guard: Guard) -> Download | int | str:
    """The open answer (200), a redirect's Location, or another status (body drained)."""
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connect(url, timeout, guard)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
    except RemoteError:  # the guard refused the address
        connection.close()
        raise
    except (http.client.HTTPException, OSError) as error:
        connection.close()
        raise RemoteError(f"GET {parts.hostname}: {error}") from error
    if response.status == 200:
        length = response.getheader("content-length")
        if length is None or not length.isdigit():
            connection.close()
            raise RemoteError("blob answer without a Content-Length")
        return Download(int(length), response, connection)
    location = response.getheader("location")
    connection.close()
    if response.status == 429:
        wait = response.getheader("retry-after")
        waited = Answer(429, {"retry-after": wait} if wait else {}, b"")
        raise rate_limited(f"GET {parts.path[:120]}", waited)
    if response.status in _REDIRECTS and location:
        return urllib.parse.urljoin(url, location)
    return response.status


def _storage(url: str, registry_origin: tuple[str, str]) -> bool:
    """A redirect out of the registry's API (another origin, or a path outside /v2/ as
    `berth serve`'s /_s3/ presigned URLs): its storage, which needs no registry token."""
    return _origin(url) != registry_origin or not urllib.parse.urlsplit(url).path.startswith("/v2/")


def open_blob(registry: RemoteRegistry, repository: str, digest: str) -> Download | None:
    """The blob's bytes as an open stream, or None if the registry does not have it.
    Raises RemoteError when it cannot be reached or refuses (401 after a token, 429, 5xx)."""
    found = _blob(registry, repository, digest, follow_storage=True)
    assert not isinstance(found, str), "storage redirects were followed"
    return found


def locate_blob(registry: RemoteRegistry, repository: str, digest: str) -> Download | str | None:
    """Where the blob is: the URL of the registry's storage when it redirects there
    (unfollowed, for a client to fetch itself), else its bytes as an open stream;
    None if the registry does not have it."""
    return _blob(registry, repository, digest, follow_storage=False)


def _blob(
    registry: RemoteRegistry, repository: str, digest: str, *, follow_storage: bool
) -> Download | str | None:
    registry.want(f"repository:{repository}:pull")
    path = f"/v2/{repository}/blobs/{digest}"
    timeout, guard = registry.transport.timeout, registry.transport.guard
    for attempt in (1, 2):
        url = registry.url(path)
        authorization = registry.authorization()
        headers = {"Authorization": authorization} if authorization else {}
        registry_origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            answer = _get(url, headers, timeout, guard)
            if isinstance(answer, str):  # follow; the registry's token stays with it
                if not follow_storage and _storage(answer, registry_origin):
                    return answer
                if _origin(answer) != registry_origin:
                    headers = {}
                url = answer
                continue
            break
        else:
            raise RemoteError(f"GET blob {digest[:80]}: too many redirects")
        if isinstance(answer, Download):
            return answer
        if answer == 404:
            return None
        if answer == 401 and attempt == 1:
            # The token flow runs on a HEAD (no body to lose), then the GET goes again.
            registry.request("HEAD", path)
            continue
        raise RemoteError(f"GET blob {digest[:80]}: {answer}")
    raise RemoteError(f"GET blob {digest[:80]}: refused")
