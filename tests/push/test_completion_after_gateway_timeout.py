"""`berth push`'s direct upload when the gateway gives up on a completion (berth/push/s3.py),
as berth proxy's (tests/proxy/test_completion_retries.py): API Gateway answers 504 after 29 s
while the function goes on, links the blob and ends its session, so the repeated completion
is 404 BLOB_UPLOAD_UNKNOWN. The push then asks whether the blob is there: linked is success,
missing is the registry's refusal. The registry and S3 are a scripted HTTP peer driven through
S3Uploader.upload (the whole session: POST, PUT to the presigned URL, completions); the
gateway's timing cannot be produced without a clock, and the repetition's pause is not
waited."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.push.content import Blob, FileRange, sha256_bytes
from berth.push.errors import PushError
from berth.push.http import Session
from berth.push.progress import Progress
from berth.push.registry import Registry, UploadSession
from berth.push.s3 import DIRECT_MIN, S3Uploader
from berth.push.state import PushState

START = "/v2/team/app/_berth/s3-uploads"
SESSION = f"{START}/u1"


class Scripted(http.server.BaseHTTPRequestHandler):
    """The extension's POST opens a single-PUT session; the PUT to storage is stored;
    completion POSTs are answered from `answers` in turn; HEAD of the blob with `head`."""

    answers: list[int] = []
    head = 200
    seen: list[str] = []
    base = ""

    def _answer(self, status: int, document: object = None, **headers: str) -> None:
        body = json.dumps(document).encode() if document is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append(f"POST {self.path}")
        if self.path == START:
            upload = {"method": "PUT", "url": f"{self.base}/storage/u1", "headers": {}}
            self._answer(202, {"location": SESSION, "multipart": False, "upload": upload})
            return
        status = self.answers.pop(0)
        errors = {"errors": [{"code": "BLOB_UPLOAD_UNKNOWN", "message": "not known"}]}
        self._answer(status, errors if status == 404 else {})

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(f"PUT {self.path}")
        self._answer(200, etag='"e1"')

    def do_HEAD(self) -> None:
        self.seen.append(f"HEAD {self.path}")
        self._answer(self.head)

    def log_message(self, *_: object) -> None:
        pass


class Standard:
    """The standard upload the extension would fall back to: it must not be used."""

    def upload(self, blob: Blob, session: UploadSession | None) -> None:
        raise AssertionError(f"{blob.digest} fell back to the standard upload")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr("berth.push.s3.time.sleep", lambda _: None)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Scripted.seen = []
    Scripted.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield Scripted.base
    server.shutdown()
    server.server_close()


def _push(base: str, tmp_path: Path) -> tuple[Blob, PushState]:
    data = b"layer" * (DIRECT_MIN // 5 + 1)
    path = tmp_path / "layer"
    path.write_bytes(data)
    blob = Blob(
        sha256_bytes(data), len(data), "application/octet-stream", FileRange(path, 0, len(data))
    )
    state = PushState(tmp_path / "state", base, "team/app")
    progress = Progress(io.StringIO(), 0, quiet=True)
    uploader = S3Uploader(Registry(Session(base), "team/app"), state, progress, Standard())
    uploader.upload(blob, None)
    return blob, state


def test_a_504_then_404_is_pushed_when_the_registry_has_the_blob(
    registry: str, tmp_path: Path
) -> None:
    Scripted.answers, Scripted.head = [504, 404], 200
    blob, state = _push(registry, tmp_path)
    assert Scripted.seen == [
        f"POST {START}",
        "PUT /storage/u1",
        f"POST {SESSION}",
        f"POST {SESSION}",
        f"HEAD /v2/team/app/blobs/{blob.digest}",
    ]
    assert state.direct(blob.digest) is None  # done: nothing left to resume


def test_a_504_then_404_without_the_blob_is_refused(registry: str, tmp_path: Path) -> None:
    Scripted.answers, Scripted.head = [504, 404], 404
    with pytest.raises(PushError) as raised:
        _push(registry, tmp_path)
    assert "BLOB_UPLOAD_UNKNOWN" in raised.value.message


def test_a_404_at_the_first_completion_is_refused_without_asking(
    registry: str, tmp_path: Path
) -> None:
    Scripted.answers, Scripted.head = [404], 200
    with pytest.raises(PushError):
        _push(registry, tmp_path)
    # No gateway gave up: the session is unknown, and the registry is not asked for the blob.
    assert Scripted.seen == [f"POST {START}", "PUT /storage/u1", f"POST {SESSION}"]
