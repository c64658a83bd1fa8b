"""`berth proxy` running: an HTTP/1.1 server on loopback (the local server's own, with its
strict framing and chunked bodies) whose requests go either to the upload routes (uploads.py)
or to the registry as they are (forward.py)."""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from berth.localserver.bodies import Body
from berth.localserver.http import BerthHTTPServer
from berth.localserver.log import fields
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.proxy.forward import Upstream, forward
from berth.proxy.log import logger
from berth.proxy.send import Destination
from berth.proxy.sessions import Sessions
from berth.proxy.uploads import Uploads
from berth.push.s3 import PART_JOBS
from chalicelib.oci.paths import Resource, parse_path

_UPLOAD_ROUTES = (Resource.UPLOADS, Resource.UPLOAD)


class StartError(RuntimeError):
    """The proxy could not start (bad registry URL, address in use); the message says why."""


@dataclass
class Proxy:
    """A running proxy. `stop()` (or the context manager) ends it and removes its spool."""

    url: str
    registry: str
    spool: Path
    _httpd: BerthHTTPServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _sessions: Sessions = field(repr=False)
    _owns_spool: bool = field(default=True, repr=False)

    def describe(self) -> str:
        return (
            f"berth proxy: listening on {self.url}, forwarding to {self.registry}; "
            f"uploads are spooled in {self.spool} and sent to storage through s3-uploads"
        )

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        self._sessions.close_all()
        if self._owns_spool:
            shutil.rmtree(self.spool, ignore_errors=True)

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def run(
    registry: str,
    host: str = "127.0.0.1",
    port: int = 5480,
    *,
    spool_parent: Path | None = None,
    part_jobs: int = PART_JOBS,
) -> Proxy:
    """Start serving on a daemon thread (port 0: any free one; `Proxy.url` says which)."""
    try:
        upstream = Upstream(registry)
    except ValueError as error:
        raise StartError(str(error)) from None
    try:
        spool = Path(tempfile.mkdtemp(prefix="berth-proxy-", dir=spool_parent))
    except OSError as error:
        raise StartError(f"cannot make a spool directory: {error}") from None
    sessions = Sessions(spool)
    destination = Destination(upstream.base, spool / "state", part_jobs)
    uploads = Uploads(upstream, sessions, destination)

    def route(request: GatewayRequest, body: Body) -> GatewayResponse:
        endpoint = parse_path(request.path)
        if endpoint is not None and endpoint.resource in _UPLOAD_ROUTES:
            return uploads.handle(endpoint, request, body)
        return forward(upstream, request, body)

    try:
        httpd = BerthHTTPServer((host, port), route)
    except OSError as error:
        shutil.rmtree(spool, ignore_errors=True)
        raise StartError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    bound_host, bound_port = str(httpd.server_address[0]), int(httpd.server_address[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.1,), name="berth-proxy", daemon=True
    )
    thread.start()
    proxy = Proxy(f"http://{shown}:{bound_port}", upstream.base, spool, httpd, thread, sessions)
    logger.info("proxy ready", extra=fields(url=proxy.url, registry=upstream.base))
    return proxy
