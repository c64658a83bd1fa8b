"""A token that expires mid-push is replaced: the token request carries the credentials, not
the dead token. A fake registry whose tokens each serve one request stands in."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from berth.client.credentials import Credentials
from berth.push.http import Session

ALICE = Credentials("alice", "secret")


class OneUseTokens(BaseHTTPRequestHandler):
    issued = 0
    valid: set[str] = set()
    token_requests: list[str | None] = []

    def log_message(self, *_: object) -> None:
        pass

    def _answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        if self.path.startswith("/token"):
            self.token_requests.append(authorization)
            if authorization != ALICE.basic():
                self._answer(401, {})
                return
            type(self).issued += 1
            self.valid.add(f"t{self.issued}")
            self._answer(200, {}, json.dumps({"token": f"t{self.issued}"}).encode())
            return
        bearer = (authorization or "").removeprefix("Bearer ")
        if bearer not in self.valid:
            realm = f'Bearer realm="http://{self.headers["Host"]}/token",service="fake"'
            self._answer(401, {"WWW-Authenticate": realm})
            return
        self.valid.discard(bearer)
        self._answer(200, {}, b"{}")


@pytest.fixture
def registry() -> Iterator[str]:
    OneUseTokens.issued, OneUseTokens.valid, OneUseTokens.token_requests = 0, set(), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), OneUseTokens)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_expired_token_is_replaced_with_the_credentials(registry: str) -> None:
    session = Session(registry, ALICE)
    session.login("repository:team/app:pull,push")
    for _ in range(3):
        assert session.request("GET", "/v2/team/app/tags/list").status == 200
    assert OneUseTokens.issued == 4
    assert OneUseTokens.token_requests == [ALICE.basic()] * 4
