"""`berth proxy` running: an HTTP/1.1 server on loopback (the local server's own, with its
strict framing and chunked bodies) whose requests go either to the upload routes (uploads.py)
or to the registry as they are (forward.py), those that depend on a blob the registry is
still linking once the link is done (link_order.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from berth.localserver.bodies import Body
from berth.localserver.http import BerthHTTPServer
from berth.localserver.log import fields
from berth.localserver.memory import return_large_buffers_to_the_os
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.proxy.forward import Upstream, forward
from berth.proxy.link_order import wait_for_links
from berth.proxy.links import Links
from berth.proxy.log import logger
from berth.proxy.saved_login import SavedLogin
from berth.proxy.send import PART_JOBS, PART_SIZE, Destination, PartPool
from berth.proxy.sessions import Sessions
from berth.proxy.uploads import Uploads
from chalicelib.oci.paths import Resource, parse_path
from chalicelib.oci.s3_parts import PART_MAX, PART_MIN

_UPLOAD_ROUTES = (Resource.UPLOADS, Resource.UPLOAD)


class StartError(RuntimeError):
    """The proxy could not start (bad registry URL, address in use); the message says why."""


@dataclass
class Proxy:
    """A running proxy. `stop()` (or the context manager) ends it and cancels open uploads."""

    url: str
    registry: str
    part_size: int
    part_jobs: int
    _httpd: BerthHTTPServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _sessions: Sessions = field(repr=False)
    _pool: PartPool = field(repr=False)
    _links: Links = field(repr=False)

    def describe(self) -> str:
        memory = self.part_size * (self.part_jobs + 1) // (1024 * 1024)
        return (
            f"berth proxy: listening on {self.url}, forwarding to {self.registry}; "
            f"layers go to S3 through s3-uploads in {self.part_size // (1024 * 1024)} MiB "
            f"parts, {self.part_jobs} at a time (about {memory} MiB of buffers, plus one "
            "part per layer being received). Clients look up credentials by the address they "
            f"push to: log in to {self.url.split('://', 1)[1]} itself (podman login, docker "
            "login), with the registry's user or robot"
        )

    @property
    def open_uploads(self) -> int:
        return len(self._sessions)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        self._sessions.close_all()
        self._links.shutdown()
        self._pool.shutdown()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def run(
    registry: str,
    host: str = "127.0.0.1",
    port: int = 5480,
    *,
    part_size: int = PART_SIZE,
    part_jobs: int = PART_JOBS,
) -> Proxy:
    """Start serving on a daemon thread (port 0: any free one; `Proxy.url` says which)."""
    return_large_buffers_to_the_os()  # parts are freed by many threads: give them back
    try:
        upstream = Upstream(registry)
    except ValueError as error:
        raise StartError(str(error)) from None
    if not PART_MIN <= part_size <= PART_MAX:
        raise StartError(f"the part size must be {PART_MIN} to {PART_MAX} bytes (S3's limits)")
    pool = PartPool(part_jobs, part_size)
    sessions = Sessions(part_size, buffers=pool.buffers)
    links = Links()
    login = SavedLogin(upstream.base.split("://", 1)[1].rstrip("/"))
    destination = Destination(upstream.base, part_size, login)
    uploads = Uploads(upstream, sessions, destination, pool, links)

    def route(request: GatewayRequest, body: Body) -> GatewayResponse:
        endpoint = parse_path(request.path)
        if endpoint is not None and endpoint.resource in _UPLOAD_ROUTES:
            return uploads.handle(endpoint, request, body)
        if endpoint is not None:
            refused, body = wait_for_links(links, endpoint, request, body)
            if refused is not None:
                return refused
        return forward(upstream, request, body)

    try:
        httpd = BerthHTTPServer((host, port), route)
    except OSError as error:
        links.shutdown()
        pool.shutdown()
        raise StartError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    bound_host, bound_port = str(httpd.server_address[0]), int(httpd.server_address[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    login.proxy_host = f"{shown}:{bound_port}"
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.1,), name="berth-proxy", daemon=True
    )
    thread.start()
    proxy = Proxy(
        f"http://{shown}:{bound_port}",
        upstream.base,
        part_size,
        pool.jobs,
        httpd,
        thread,
        sessions,
        pool,
        links,
    )
    logger.info("proxy ready", extra=fields(url=proxy.url, registry=upstream.base))
    return proxy
