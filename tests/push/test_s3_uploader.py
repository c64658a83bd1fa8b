"""S3Uploader's choices against a registry that answers the extension's POST with a given
status (a small HTTP server on loopback): fall back to the standard upload on 404/405 (once,
then without asking again), refuse on 401/403, insist with --upload s3; small and non-sha256
blobs never take the extension."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.push.content import Blob, FileRange, sha256_bytes
from berth.push.errors import ExitCode, PushError
from berth.push.http import Session
from berth.push.progress import Progress
from berth.push.registry import Registry, UploadSession
from berth.push.s3 import DIRECT_MIN, S3Uploader, advertised
from berth.push.state import PushState

MiB = 1024 * 1024


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 405
    posts: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).posts.append(self.path)
        body = b'{"errors":[{"code":"DENIED","message":"no"}]}'
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def registry_answering() -> Iterator[type[_Handler]]:
    handler = type("Handler", (_Handler,), {"posts": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


class Recorder:
    def __init__(self) -> None:
        self.uploaded: list[str] = []

    def upload(self, blob: Blob, session: UploadSession | None) -> None:
        self.uploaded.append(blob.digest)


def blob(tmp_path: Path, size: int, name: str) -> Blob:
    path = tmp_path / name
    data = (name.encode() * (size // len(name) + 1))[:size]
    path.write_bytes(data)
    return Blob(sha256_bytes(data), size, "application/octet-stream", FileRange(path, 0, size))


def uploader(
    handler: type[_Handler], tmp_path: Path, **options: bool
) -> tuple[S3Uploader, Recorder]:
    registry = Registry(Session(handler.url), "team/app")  # type: ignore[attr-defined]
    state = PushState(tmp_path / "state", handler.url, "team/app")  # type: ignore[attr-defined]
    progress = Progress(io.StringIO(), 0, quiet=True)
    fallback = Recorder()
    return S3Uploader(registry, state, progress, fallback, **options), fallback


@pytest.mark.parametrize("status", [404, 405])
def test_falls_back_once_when_the_registry_lacks_it(
    registry_answering: type[_Handler], tmp_path: Path, status: int
) -> None:
    registry_answering.status = status
    s3, fallback = uploader(registry_answering, tmp_path)
    first, second = blob(tmp_path, DIRECT_MIN, "a"), blob(tmp_path, DIRECT_MIN + 1, "b")
    s3.upload(first, None)
    s3.upload(second, None)
    assert fallback.uploaded == [first.digest, second.digest]
    assert registry_answering.posts == ["/v2/team/app/_berth/s3-uploads"]  # asked once


def test_refusal_is_an_auth_error_not_a_fallback(
    registry_answering: type[_Handler], tmp_path: Path
) -> None:
    registry_answering.status = 403
    s3, fallback = uploader(registry_answering, tmp_path)
    with pytest.raises(PushError) as raised:
        s3.upload(blob(tmp_path, DIRECT_MIN, "a"), None)
    assert raised.value.code is ExitCode.AUTH and fallback.uploaded == []


def test_required_extension_missing_is_refused(
    registry_answering: type[_Handler], tmp_path: Path
) -> None:
    registry_answering.status = 404
    s3, fallback = uploader(registry_answering, tmp_path, required=True)
    with pytest.raises(PushError) as raised:
        s3.upload(blob(tmp_path, 10, "a"), None)
    assert raised.value.code is ExitCode.REFUSED and "s3-uploads" in raised.value.message
    assert fallback.uploaded == []


def test_small_and_sha512_blobs_use_the_standard_api(
    registry_answering: type[_Handler], tmp_path: Path
) -> None:
    s3, fallback = uploader(registry_answering, tmp_path)
    small = blob(tmp_path, DIRECT_MIN - 1, "s")
    big = blob(tmp_path, DIRECT_MIN, "b")
    sha512 = Blob("sha512:" + "0" * 128, big.size, big.media_type, big.content)
    s3.upload(small, None)
    s3.upload(sha512, None)
    assert fallback.uploaded == [small.digest, sha512.digest]
    assert registry_answering.posts == []


def test_advertised() -> None:
    assert advertised({"berth-extensions": "s3-uploads"})
    assert advertised({"berth-extensions": "other, s3-uploads/1"})
    assert not advertised({"berth-extensions": "s3-uploadsx"})
    assert not advertised({})
