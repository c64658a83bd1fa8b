"""An HTTP front for the upstream registry that can answer 429 with a `Retry-After`, the way
Docker Hub answers when a pull limit ran out; otherwise it forwards each request as it came.
It counts the /v2 requests it refused, so a test sees that Berth stopped asking."""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Throttle:
    target_port: int
    retry_after: str | None = None  # while set, /v2 requests get 429 with this header
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def start(self) -> Throttle:
        throttle = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                with throttle._lock:
                    limited = throttle.retry_after is not None and self.path.startswith("/v2/")
                    if limited:
                        throttle.refused += 1
                if limited:
                    body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"pull limit"}]}'
                    self.send_response(429)
                    self.send_header("Retry-After", str(throttle.retry_after))
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection("127.0.0.1", throttle.target_port)
                try:
                    upstream.request(self.command, self.path, body=sent, headers=dict(self.headers))
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("transfer-encoding", "connection"):
                            self.send_header(name, value)
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def limit(self, retry_after: str | None) -> None:
        with self._lock:
            self.retry_after = retry_after

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
