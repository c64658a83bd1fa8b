"""Start the whole local registry in this process: moto child, resources, app, HTTP server."""

from __future__ import annotations

import importlib
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from berth import first_admin
from berth.first_admin import ADMIN_USER
from berth.localserver import pipeline, schedules
from berth.localserver.backend import MotoBackend
from berth.localserver.bodies import Body
from berth.localserver.forward import forward
from berth.localserver.gateway import Gateway, GatewayOptions, LambdaHandler
from berth.localserver.http import BerthHTTPServer
from berth.localserver.log import fields, logger
from berth.localserver.memory import return_large_buffers_to_the_os
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.localserver.pipeline import Pipeline
from berth.localserver.s3front import PREFIX, S3Front, is_s3_path
from berth.localserver.schedules import Schedules
from berth.localserver.stack import FAKE_CREDENTIALS, apply, provision


class StartError(RuntimeError):
    """The server could not start (port in use, moto failed); the message says why."""


def _not_ready(request: GatewayRequest, body: Body) -> GatewayResponse:
    raise AssertionError("requests are not served before run() has set the forwarder")


@dataclass
class LocalServer:
    """A running local registry. Stop it with `stop()` or use it as a context manager."""

    url: str
    host: str
    port: int
    moto_url: str
    table: str
    bucket: str
    stage: str
    lambda_limits: bool
    _httpd: BerthHTTPServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _backend: MotoBackend = field(repr=False)
    _pipeline: Pipeline | None = field(default=None, repr=False)
    _schedules: Schedules | None = field(default=None, repr=False)
    auth: bool = False
    # With auth: the first admin's password, generated at start and shown once (never stored
    # but as its argon2id hash in moto's memory).
    admin_password: str | None = field(default=None, repr=False)
    # Where presigned URLs send clients (--public-url, or a default from the bound address).
    public_url: str = ""

    def describe(self) -> str:
        """The one startup line: where it listens and what it stores where."""
        limits = "; AWS Lambda limits enforced" if self.lambda_limits else ""
        access = "access control off (--auth turns it on)"
        if self.auth:
            access = (
                f"access control on: log in as {ADMIN_USER} with password "
                f"{self.admin_password} (shown once)"
            )
        return (
            f"berth serve: listening on {self.url} (stage {self.stage}{limits}); "
            f"metadata in DynamoDB table {self.table}, blobs in S3 bucket {self.bucket}, "
            f"both in memory in moto at {self.moto_url}; {access}; "
            f"blob downloads redirect to {self.public_url}{PREFIX}"
        )

    def stop(self) -> None:
        """Stop serving and end the moto child. Safe to call twice."""
        if self._pipeline is not None:
            self._pipeline.stop()
        if self._schedules is not None:
            self._schedules.stop()
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        self._backend.stop()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _load_app() -> Any:
    """Import the Chalice app only now, with the environment set: settings are read once."""
    config = sys.modules.get("chalicelib.config")
    if "app" in sys.modules or (config is not None and config.settings.cache_info().currsize):
        raise RuntimeError(
            "the app was imported before the local server set its environment; "
            "run the server in a fresh process (berth.localserver.spawn)"
        )
    return importlib.import_module("app").app


def _handler(app: Any) -> LambdaHandler:
    def invoke(event: dict[str, Any], context: Any) -> Mapping[str, Any]:
        try:
            result: Mapping[str, Any] = app(event, context)
            return result
        finally:
            # The thread-local current request holds the event and its body; drop it now,
            # not when this thread's next request comes.
            app.current_request = None

    return invoke


def _first_admin() -> str:
    """Create the user `admin` with admin on everything; return its generated password."""
    password = first_admin.new_password()
    first_admin.create(password, created_by="berth serve --auth")
    return password


def _routes(app: Any) -> dict[str, list[str]]:
    return {path: list(methods) for path, methods in app.routes.items()}


def run(
    host: str = "127.0.0.1",
    port: int = 5000,
    lambda_limits: bool = False,
    stage: str = "local",
    auth: bool = False,
    public_url: str | None = None,
) -> LocalServer:
    """Start the registry in this process (serving on a daemon thread) and return its handle.

    This process's environment is set for the app (AWS_ENDPOINT_URL and the rest), and the app
    is imported here, so call it at most once per process and not where chalicelib was imported.
    Tests and benchmarks that share a process with other code should use `spawn` instead.
    `public_url` is the address clients use (default: the bound one); presigned S3 URLs
    point at `<public_url>/_s3`, the S3 front, which checks them before moto serves them.
    """
    return_large_buffers_to_the_os()
    try:  # bind first: a port in use should fail fast, before moto starts
        httpd = BerthHTTPServer((host, port), _not_ready)
    except OSError as error:
        raise StartError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    try:
        backend = MotoBackend.start()
    except RuntimeError as error:
        httpd.server_close()
        raise StartError(str(error)) from error
    bound_host, bound_port = httpd.server_address[:2]
    url = f"http://{_url_host(str(bound_host))}:{bound_port}"
    public = (public_url or _public_default(str(bound_host), int(bound_port), url)).rstrip("/")
    try:
        environment = provision(backend.url, stage)
        environment["BERTH_AUTH"] = "on" if auth else "off"
        environment["BERTH_PRESIGN_ENDPOINT_URL"] = public + PREFIX
        # Webhooks to receivers on this machine: plain http and loopback (never in AWS).
        environment["BERTH_WEBHOOK_ALLOW_HTTP"] = "1"
        environment["BERTH_WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.0/8,::1/128"
        # Replication to another `berth serve` on this machine (never in AWS).
        environment["BERTH_REPLICATION_ALLOW_NETWORKS"] = "127.0.0.0/8,::1/128"
        # A pull-through cache of another `berth serve` on this machine (never in AWS).
        environment["BERTH_CACHE_ALLOW_NETWORKS"] = "127.0.0.0/8,::1/128"
        apply(environment)
        app = _load_app()
        admin_password = _first_admin() if auth else None
        try:
            events = pipeline.start(environment)
        except pipeline.BudgetError as error:
            raise StartError(str(error)) from None
        timers = schedules.start(app, sys.modules["app"])
        gateway = Gateway(
            _handler(app), _routes(app), GatewayOptions(stage=stage, lambda_limits=lambda_limits)
        )
    except BaseException:
        httpd.server_close()
        backend.stop()
        raise

    s3 = S3Front(
        backend.url,
        FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )

    def forwarder(request: GatewayRequest, body: Body) -> GatewayResponse:
        if is_s3_path(request.path):
            return s3.forward(request, body)
        return forward(gateway, request, body)

    httpd.forwarder = forwarder
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.1,), name="berth-http", daemon=True
    )
    thread.start()
    server = LocalServer(
        url=url,
        host=str(bound_host),
        port=int(bound_port),
        moto_url=backend.url,
        table=environment["BERTH_TABLE"],
        bucket=environment["BERTH_BUCKET"],
        stage=stage,
        lambda_limits=lambda_limits,
        _httpd=httpd,
        _thread=thread,
        _backend=backend,
        _pipeline=events,
        _schedules=timers,
        auth=auth,
        admin_password=admin_password,
        public_url=public,
    )
    logger.debug("serving", extra=fields(url=server.url, moto=backend.url))
    return server


def _public_default(host: str, port: int, url: str) -> str:
    """Bound to every address (0.0.0.0, ::), the server's own URL names no reachable host:
    presigned URLs then use this machine's name, which clients elsewhere can resolve."""
    if host in ("0.0.0.0", "::"):
        return f"http://{_url_host(socket.gethostname())}:{port}"
    return url


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
