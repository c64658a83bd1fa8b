"""The blob upload protocol as a stock client sees it (OCI distribution-spec, "Pushing
blobs"), served by the proxy: POST opens a session (monolithic with `?digest=` and a body),
PATCH appends a chunk (with or without Content-Range: docker and containers/image stream
the whole layer in one PATCH of unknown length), GET tells where the session stands, PUT
`?digest=` closes it, DELETE cancels it. Locations point back at the proxy.

The client's POST is first sent to the registry as it is (without body or digest), so the
registry decides what the client may do: a 401 with its Bearer challenge, a 403, or a
cross-repository mount (201) come back unchanged, and a session the registry opened is
deleted again, since the bytes will go through `s3-uploads` instead. The closing PUT
answers 201 only once the registry has verified and linked the blob (send.py), so a client
that sees 201 can push its manifest at once."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator

from berth.localserver.bodies import Body
from berth.localserver.log import fields
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.proxy.forward import Upstream, exchange
from berth.proxy.log import logger
from berth.proxy.send import Destination, send
from berth.proxy.sessions import READ_PIECE, Sessions, Upload
from chalicelib.oci.content_range import parse_content_range, range_header
from chalicelib.oci.digest import parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.paths import Endpoint, Resource


def error_response(error: OCIError) -> GatewayResponse:
    headers = (("Content-Type", "application/json"), *error.headers.items())
    return GatewayResponse(error.status, headers, json.dumps(error.body()).encode(), events=0)


def _pieces(body: Body) -> Iterator[bytes]:
    while piece := body.read(READ_PIECE):
        yield piece


class Uploads:
    """The upload routes of one proxy."""

    def __init__(self, upstream: Upstream, sessions: Sessions, destination: Destination) -> None:
        self.upstream = upstream
        self.sessions = sessions
        self.destination = destination

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
            self.sessions.close(upload)
            return GatewayResponse(204, (("Content-Length", "0"),), events=0)
        if method == "PATCH":
            self._append(upload, request, body)
            return self._status(upload, 202)
        if method == "PUT":
            return self._close(upload, request, body)
        raise OCIError("UNSUPPORTED", f"{method} on an upload session")

    def _open(self, name: str, request: GatewayRequest, body: Body) -> GatewayResponse:
        query = urllib.parse.parse_qs(request.query)
        asked = [(k, v) for k, v in urllib.parse.parse_qsl(request.query) if k != "digest"]
        target = f"/v2/{name}/blobs/uploads/" + (
            f"?{urllib.parse.urlencode(asked)}" if asked else ""
        )
        headers = {k: v for k, v in request.headers if k.lower() not in _NOT_FORWARDED}
        headers["Content-Length"] = "0"
        answer = exchange(self.upstream, "POST", target, headers, b"")
        if answer.status != 202:
            return answer  # mounted (201), or refused: the client sees the registry's answer
        opened = answer.header("location")
        if opened:
            exchange(self.upstream, "DELETE", opened, _auth(request), b"")
        upload = self.sessions.open(name, request.header("authorization"))
        digest = next(iter(query.get("digest", [])), None)
        if digest is None:
            return self._status(upload, 202)
        with upload.lock:
            return self._close(upload, request, body, digest)

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
        self, upload: Upload, request: GatewayRequest, body: Body, digest: str | None = None
    ) -> GatewayResponse:
        """Append the last bytes, check the digest, send the blob; nothing stays behind."""
        started = time.monotonic()
        try:
            if digest is None:
                digest = next(iter(urllib.parse.parse_qs(request.query).get("digest", [])), None)
            parsed = parse_digest(digest)
            if body.length or request.header("content-range") or body.length is None:
                self._append(upload, request, body)
            upload.finish(parsed)
            authorization = request.header("authorization") or upload.authorization
            send(
                self.destination,
                upload.repository,
                authorization,
                str(parsed),
                upload.path,
                upload.offset,
            )
        finally:
            self.sessions.close(upload)
        logger.info(
            "blob pushed",
            extra=fields(
                repository=upload.repository,
                digest=str(parsed),
                size=upload.offset,
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


# Hop or framing headers the proxy sets itself on the requests it makes.
_NOT_FORWARDED = frozenset({"host", "content-length", "content-type", "content-range"})


def _auth(request: GatewayRequest) -> dict[str, str]:
    value = request.header("authorization")
    return {"Authorization": value} if value else {}
