"""The blob upload protocol as a stock client sees it (OCI distribution-spec, "Pushing
blobs"), served by the proxy: POST opens a session (monolithic with `?digest=` and a body),
PATCH appends a chunk (with or without Content-Range: docker and containers/image stream
the whole layer in one PATCH of unknown length), GET tells where the session stands, PUT
`?digest=` closes it, DELETE cancels it. Locations point back at the proxy.

Each proxy session is a streamed `s3-uploads` session on the registry, opened with the
client's credentials at its POST: a 401 with the registry's Bearer challenge, or a 403, comes
back as it is, before the client sends a byte. A cross-repository mount (`?mount=&from=`) is
the registry's own: its 201 is passed on, and a mount it declines becomes a proxy session.
The closing PUT answers 201 once the digest the proxy computed is the client's and every
part is stored in S3; the registry verifies and links the blob in the background while the
client sends its next layer (links.py), and whatever depends on the link waits for it (a
mount of the blob here, its HEAD and a manifest PUT in server.py). A request that fails
(other than a chunk at the wrong offset, 416) cancels the session: nothing is linked, and
the client starts the blob again, as stock clients do."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator

from berth.localserver.bodies import Body
from berth.localserver.log import fields
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.proxy.forward import Upstream, exchange
from berth.proxy.links import Links
from berth.proxy.log import logger
from berth.proxy.send import Destination, PartPool, StreamedBlob
from berth.proxy.sessions import READ_PIECE, Sessions, Upload
from chalicelib.oci.content_range import parse_content_range, range_header
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.paths import Endpoint, Resource

# Answer headers of the registry's refusal that the client needs (and framing we set).
_REFUSAL_HEADERS = frozenset(
    {"www-authenticate", "content-type", "docker-distribution-api-version"}
)


def error_response(error: OCIError) -> GatewayResponse:
    headers = (("Content-Type", "application/json"), *error.headers.items())
    return GatewayResponse(error.status, headers, json.dumps(error.body()).encode(), events=0)


def _pieces(body: Body) -> Iterator[bytes]:
    while piece := body.read(READ_PIECE):
        yield piece


def _query(request: GatewayRequest, name: str) -> str | None:
    return next(iter(urllib.parse.parse_qs(request.query).get(name, [])), None)


class Uploads:
    """The upload routes of one proxy."""

    def __init__(
        self,
        upstream: Upstream,
        sessions: Sessions,
        destination: Destination,
        pool: PartPool,
        links: Links,
    ) -> None:
        self.upstream = upstream
        self.sessions = sessions
        self.destination = destination
        self.pool = pool
        self.links = links

    def handle(self, endpoint: Endpoint, request: GatewayRequest, body: Body) -> GatewayResponse:
        try:
            if endpoint.resource is Resource.UPLOADS:
                if request.method != "POST":
                    raise OCIError("UNSUPPORTED", f"{request.method} on an upload collection")
                return self._open(endpoint.name, request, body)
            upload = self.sessions.get(endpoint.name, endpoint.argument)
            with upload.lock:
                return self._on_session(upload, request, body)
        except OCIError as error:
            return error_response(error)

    def _on_session(self, upload: Upload, request: GatewayRequest, body: Body) -> GatewayResponse:
        method = request.method
        if method == "GET":
            return self._status(upload, 204)
        if method == "DELETE":
            self.sessions.close(upload, cancel=True)
            return GatewayResponse(204, (("Content-Length", "0"),), events=0)
        if method not in ("PATCH", "PUT"):
            raise OCIError("UNSUPPORTED", f"{method} on an upload session")
        authorization = request.header("authorization")
        if authorization:
            upload.authorization = authorization
            upload.sink.authorize(authorization)
        if method == "PATCH":
            try:
                self._append(upload, request, body)
            except OCIError as error:
                if error.status != 416:
                    self.sessions.close(upload, cancel=True)
                raise
            return self._status(upload, 202)
        return self._close(upload, request, body, _query(request, "digest"))

    def _open(self, name: str, request: GatewayRequest, body: Body) -> GatewayResponse:
        authorization = request.header("authorization")
        if _query(request, "mount") is not None:
            mounted = self._mount(name, request)
            if mounted is not None:
                return mounted
        opened = StreamedBlob.open(self.destination, self.pool, self.links, name, authorization)
        if not isinstance(opened, StreamedBlob):
            headers = tuple(
                (k, v) for k, v in opened.headers.items() if k.lower() in _REFUSAL_HEADERS
            )
            return GatewayResponse(opened.status, headers, opened.body, events=0)
        upload = self.sessions.open(name, opened, authorization)
        digest = _query(request, "digest")
        if digest is None:
            return self._status(upload, 202)
        with upload.lock:
            return self._close(upload, request, body, digest)

    def _mount(self, name: str, request: GatewayRequest) -> GatewayResponse | None:
        """The registry's answer to a mount when it is final (201, or a refusal); None when
        it declined by opening a session of its own, which is deleted again."""
        asked = [(k, v) for k, v in urllib.parse.parse_qsl(request.query) if k != "digest"]
        digest, source = _query(request, "mount"), _query(request, "from")
        for repository in {name, source or name}:
            self.links.wait(repository, digest)  # a blob being linked is mounted once linked
        target = f"/v2/{name}/blobs/uploads/?{urllib.parse.urlencode(asked)}"
        headers = {k: v for k, v in request.headers if k.lower() not in _NOT_FORWARDED}
        headers["Content-Length"] = "0"
        answer = exchange(self.upstream, "POST", target, headers, b"")
        if answer.status != 202:
            return answer
        opened = answer.header("location")
        if opened:
            exchange(self.upstream, "DELETE", opened, _auth(request), b"")
        return None

    def _append(self, upload: Upload, request: GatewayRequest, body: Body) -> None:
        content_range = request.header("content-range")
        start, length = None, body.length
        if content_range:
            chunk = parse_content_range(content_range)
            if length is not None and length != chunk.length:
                raise OCIError(
                    "BLOB_UPLOAD_INVALID",
                    f"Content-Range {content_range!r} is not the body's {length} bytes",
                    status=416,
                )
            start, length = chunk.start, chunk.length
        upload.append(start, _pieces(body), length)

    def _close(
        self, upload: Upload, request: GatewayRequest, body: Body, digest: str | None
    ) -> GatewayResponse:
        """Take the last bytes, check the digest, have the blob linked; or cancel it all."""
        started = time.monotonic()
        try:
            parsed = parse_digest(digest)
            if body.length or body.length is None or request.header("content-range"):
                self._append(upload, request, body)
            upload.finish(parsed)
        except BaseException:
            self.sessions.close(upload, cancel=True)
            raise
        self.sessions.close(upload)
        logger.info(
            "blob received",
            extra=fields(
                repository=upload.repository,
                digest=str(parsed),
                size=upload.offset,
                parts=upload.parts,
                seconds=round(time.monotonic() - started, 3),
            ),
        )
        location = f"/v2/{upload.repository}/blobs/{parsed}"
        return GatewayResponse(
            201,
            (
                ("Location", location),
                ("Docker-Content-Digest", str(parsed)),
                ("Content-Length", "0"),
            ),
            events=0,
        )

    def _status(self, upload: Upload, status: int) -> GatewayResponse:
        location = f"/v2/{upload.repository}/blobs/uploads/{upload.id}"
        headers = (
            ("Location", location),
            ("Range", range_header(upload.offset)),
            ("Docker-Upload-UUID", upload.id),
            ("Content-Length", "0"),
        )
        return GatewayResponse(status, headers, events=0)


# Framing headers the proxy sets itself on the requests it makes.
_NOT_FORWARDED = frozenset({"host", "content-length", "content-type", "content-range"})


def _auth(request: GatewayRequest) -> dict[str, str]:
    value = request.header("authorization")
    return {"Authorization": value} if value else {}
