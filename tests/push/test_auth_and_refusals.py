"""Exit codes against a registry that refuses: credentials (4) and the token flow, a refused
manifest (5). A tiny fake registry stands in, so every branch is deterministic."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.images import write_image
from tests.push.conftest import berth_push, no_stored_logins, pushed


class FakeRegistry(BaseHTTPRequestHandler):
    """Bearer auth with a token for alice:secret; blobs all 'exist'; manifests refused or
    accepted as the class says."""

    refuse_manifests = False
    seen: list[str] = []

    def log_message(self, *_: object) -> None:
        pass

    def _answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        host = self.headers["Host"]
        if self.path.startswith("/token"):
            good = "Basic " + base64.b64encode(b"alice:secret").decode()
            if self.headers.get("Authorization") != good:
                self._answer(401, {})
                return
            self._answer(200, {}, json.dumps({"token": "t0k"}).encode())
            return
        if self.headers.get("Authorization") != "Bearer t0k":
            realm = f'Bearer realm="http://{host}/token",service="fake"'
            self._answer(401, {"WWW-Authenticate": realm})
            return
        if "/blobs/" in self.path:
            self._answer(200, {"Content-Length": "0"})
        elif "/manifests/" in self.path and self.refuse_manifests:
            error = {"errors": [{"code": "MANIFEST_INVALID", "message": "no thanks"}]}
            self._answer(400, {}, json.dumps(error).encode())
        else:
            self._answer(201, {})

    do_GET = do_HEAD = do_PUT = do_POST = _handle


@pytest.fixture
def fake() -> Iterator[str]:
    FakeRegistry.refuse_manifests = False
    FakeRegistry.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_credentials_and_token_flow(fake: str, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1")
    target = f"{fake}/team/app:v1"
    state = ("--state", str(tmp_path / "state"))
    anonymous = berth_push(image.layout, target, *state, env=no_stored_logins(tmp_path))
    assert anonymous.returncode == 4, anonymous.stderr
    assert "no credentials found" in anonymous.stderr
    wrong = {"BERTH_USERNAME": "alice", "BERTH_PASSWORD": "nope"}
    refused = berth_push(image.layout, target, *state, env=wrong)
    assert refused.returncode == 4 and "token request: 401" in refused.stderr, refused.stderr
    docker_config = {"auths": {fake: {"auth": base64.b64encode(b"alice:secret").decode()}}}
    (tmp_path / "config.json").write_text(json.dumps(docker_config))
    good = berth_push(image.layout, target, *state, env=no_stored_logins(tmp_path))
    assert pushed(good) == image.manifest.digest
    assert "PUT /v2/team/app/manifests/v1" in FakeRegistry.seen
    assert any("scope=repository%3Ateam%2Fapp%3Apull%2Cpush" in s for s in FakeRegistry.seen)


def test_refused_manifest_is_exit_5(fake: str, tmp_path: Path) -> None:
    FakeRegistry.refuse_manifests = True
    image = write_image(tmp_path / "src", "v1")
    env = {"BERTH_USERNAME": "alice", "BERTH_PASSWORD": "secret"}
    result = berth_push(image.layout, f"{fake}/app:v1", "--state", tmp_path, env=env)
    assert result.returncode == 5
    assert "MANIFEST_INVALID no thanks" in result.stderr
