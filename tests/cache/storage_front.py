"""An HTTP front for the upstream registry that changes how it answers a blob GET, to stand
for the other kinds of upstream a cache meets: one that serves blob bytes itself (no
redirect to storage), one whose redirect goes somewhere Berth must not send anyone, and one
whose storage hands out bytes that do not match their digest. Everything else is forwarded
as it came."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_REDIRECTS = (301, 302, 303, 307, 308)
RELAY = "/relay/"


@dataclass
class StorageFront:
    target_port: int
    mode: str = "pass"  # "serve" | "elsewhere" | "corrupt" | "pass"
    elsewhere: str = ""  # the Location sent in "elsewhere" mode
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StorageFront:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                if self.path.startswith(RELAY):  # "storage" whose bytes were tampered with
                    original = urllib.parse.unquote(self.path[len(RELAY) :])
                    with urllib.request.urlopen(original, timeout=30) as answer:
                        data = bytes(answer.read())
                    self._send(200, {}, bytes(reversed(data)))
                    return
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection("127.0.0.1", front.target_port)
                try:
                    upstream.request(self.command, self.path, body=sent, headers=dict(self.headers))
                    answer = upstream.getresponse()
                    data = answer.read()
                    headers = {
                        k: v
                        for k, v in answer.getheaders()
                        if k.lower() not in ("transfer-encoding", "connection", "content-length")
                    }
                finally:
                    upstream.close()
                location = headers.get("Location") or headers.get("location")
                blob = self.command == "GET" and "/blobs/" in self.path
                if blob and answer.status in _REDIRECTS and location and front.mode != "pass":
                    headers = {k: v for k, v in headers.items() if k.lower() != "location"}
                    base = f"http://127.0.0.1:{front.target_port}/"
                    target = urllib.parse.urljoin(base, location)
                    if front.mode == "serve":
                        with urllib.request.urlopen(target, timeout=30) as stored:
                            self._send(200, headers, bytes(stored.read()))
                        return
                    if front.mode == "elsewhere":
                        self._send(307, {**headers, "Location": front.elsewhere}, b"")
                        return
                    relay = f"{front.url}{RELAY}{urllib.parse.quote(target, safe='')}"
                    self._send(307, {**headers, "Location": relay}, b"")
                    return
                self._send(answer.status, headers, data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
