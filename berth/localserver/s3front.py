"""The local server's S3 front: presigned URLs point here, are checked, then reach moto.

In AWS, S3 itself refuses a presigned URL that is expired or tampered with. moto checks
neither, so `berth serve` hands out URLs for `<its own URL>/_s3/...` (the runtime presigns
against `BERTH_PRESIGN_ENDPOINT_URL`) and this front verifies each one (`presigned.verify`)
before streaming the request to moto and moto's answer back. It also makes blob pulls work
for clients on other machines, which cannot reach moto on loopback.

Like S3, it refuses `x-amz-*` headers the URL does not sign (`presigned.verify`): moto would
act on them (`x-amz-copy-source` makes an upload a copy of any object in the bucket). And it
refuses an upload whose body does not match the `x-amz-checksum-sha256` the
client sent (and signed): the body is spooled to a temporary file and hashed first, so moto
never stores refused bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from berth.localserver.bodies import Body
from berth.localserver.log import fields, logger
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.localserver.presigned import PresignError, verify

PREFIX = "/_s3"
_PIECE = 1 << 20
# A checksummed upload is held in memory up to this size while it is hashed, then on disk.
_SPOOL_IN_MEMORY = 8 << 20
# Headers that describe the hop to the front, not the S3 request.
_NOT_FORWARDED = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_NOT_RETURNED = frozenset({"content-length", "transfer-encoding", "connection", "date", "server"})

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def is_s3_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def s3_error(status: int, code: str, message: str) -> GatewayResponse:
    """An error answered the way S3 answers: an XML document."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    ).encode()
    return GatewayResponse(status, (("Content-Type", "application/xml"),), body, events=0)


class S3Front:
    """Verifies presigned requests with the local credentials, then proxies them to moto."""

    def __init__(
        self, moto_url: str, access_key: str, secret_key: str, clock: Clock = _now
    ) -> None:
        target = urlsplit(moto_url)
        self._host = target.hostname or "127.0.0.1"
        self._port = target.port or 80
        self._access_key = access_key
        self._secret_key = secret_key
        self._clock = clock

    def forward(self, request: GatewayRequest, body: Body) -> GatewayResponse:
        headers = {name.lower(): value for name, value in request.headers}
        try:
            verify(
                request.method,
                request.path,
                request.query,
                headers,
                access_key=self._access_key,
                secret_key=self._secret_key,
                now=self._clock(),
            )
        except PresignError as error:
            logger.info(
                "presigned request refused",
                extra=fields(path=request.path[:200], code=error.code, reason=error.message),
            )
            return s3_error(403, error.code, error.message)
        checksum = headers.get("x-amz-checksum-sha256")
        if checksum is not None and request.method == "PUT":
            return self._checked_upload(request, body, checksum)
        return self._proxy(request, body)

    def _checked_upload(
        self, request: GatewayRequest, body: Body, checksum: str
    ) -> GatewayResponse:
        """Hash the body before moto sees it; refuse it as S3 does if it does not match."""
        try:
            expected = base64.b64decode(checksum, validate=True)
        except (binascii.Error, ValueError):
            expected = b""
        if len(expected) != hashlib.sha256().digest_size:
            return s3_error(
                400, "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid."
            )
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            digest = hashlib.sha256()
            length = 0
            while piece := body.read(_PIECE):
                digest.update(piece)
                spool.write(piece)
                length += len(piece)
            if digest.digest() != expected:
                return s3_error(
                    400,
                    "BadDigest",
                    "The SHA256 you specified did not match the calculated checksum.",
                )
            spool.seek(0)
            return self._proxy(request, _Spooled(spool, length))

    def _proxy(self, request: GatewayRequest, body: Body) -> GatewayResponse:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=300)
        path = request.path[len(PREFIX) :] or "/"
        target = f"{path}?{request.query}" if request.query else path
        out = {k: v for k, v in request.headers if k.lower() not in _NOT_FORWARDED}
        upload = request.method in ("PUT", "POST")
        chunked = upload and body.length is None
        if upload and body.length is not None:
            out["Content-Length"] = str(body.length)
        try:
            connection.request(
                request.method,
                target,
                body=_pieces(body) if upload else None,
                headers=out,
                encode_chunked=chunked,
            )
            answer = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        returned = tuple((k, v) for k, v in answer.getheaders() if k.lower() not in _NOT_RETURNED)
        length = answer.getheader("Content-Length")
        if length is not None:
            returned += (("Content-Length", length),)
        if request.method == "HEAD" or length is None:
            data = answer.read()
            connection.close()
            return GatewayResponse(answer.status, returned, data, events=0)
        return GatewayResponse(answer.status, returned, events=0, stream=_relay(connection, answer))


class _Spooled:
    """A body already read into a spool file (a `Body` for `_proxy`)."""

    def __init__(self, spool: IO[bytes], length: int) -> None:
        self._spool = spool
        self._length = length

    @property
    def length(self) -> int | None:
        return self._length

    def read(self, size: int) -> bytes:
        return self._spool.read(size)

    def drain(self, limit: int) -> bool:
        return True


def _pieces(body: Body) -> Iterator[bytes]:
    while piece := body.read(_PIECE):
        yield piece


def _relay(
    connection: http.client.HTTPConnection, answer: http.client.HTTPResponse
) -> Iterator[bytes]:
    try:
        while piece := answer.read(_PIECE):
            yield piece
    finally:
        connection.close()
