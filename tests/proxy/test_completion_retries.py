"""A completion the gateway gave up on (berth/proxy/send.py): API Gateway answers 504 after
29 s while the function goes on, links the blob and ends its session, so the repeated
completion is 404 BLOB_UPLOAD_UNKNOWN. The proxy then asks whether the blob is there: linked
is success, missing is the registry's refusal. The registry's answers come from a scripted
HTTP peer (the gateway's timing cannot be produced without a clock); the repetition's pause
is not waited."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from berth.proxy.links import Links
from berth.proxy.send import PartPool, StreamedBlob
from berth.push.http import Session
from chalicelib.oci.errors import OCIError

DIGEST = "sha256:" + "c" * 64
SESSION = "/v2/team/app/_berth/s3-uploads/u1"


class Scripted(http.server.BaseHTTPRequestHandler):
    """Completion POSTs are answered from `answers` in turn; HEAD of the blob with `head`."""

    answers: list[int] = []
    head = 200
    seen: list[str] = []

    def _answer(self, status: int, document: object = None) -> None:
        body = json.dumps(document).encode() if document is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(f"POST {self.path}")
        status = self.answers.pop(0)
        errors = {"errors": [{"code": "BLOB_UPLOAD_UNKNOWN", "message": "not known"}]}
        self._answer(status, errors if status == 404 else {})

    def do_HEAD(self) -> None:
        self.seen.append(f"HEAD {self.path}")
        self._answer(self.head)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr("berth.proxy.send.time.sleep", lambda _: None)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Scripted.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _blob(base: str) -> StreamedBlob:
    session = Session(base)
    return StreamedBlob(
        PartPool(1), Links(), session, session.url(SESSION), "team/app", Session("")
    )


def test_a_504_then_404_is_linked_when_the_registry_has_the_blob(registry: str) -> None:
    Scripted.answers, Scripted.head = [504, 404], 200
    _blob(registry)._complete(DIGEST, 10)
    assert Scripted.seen == [
        f"POST {SESSION}",
        f"POST {SESSION}",
        f"HEAD /v2/team/app/blobs/{DIGEST}",
    ]


def test_a_504_then_404_without_the_blob_is_refused(registry: str) -> None:
    Scripted.answers, Scripted.head = [504, 404], 404
    with pytest.raises(OCIError) as raised:
        _blob(registry)._complete(DIGEST, 10)
    assert "BLOB_UPLOAD_UNKNOWN" in raised.value.message


def test_a_404_at_the_first_completion_is_refused_without_asking(registry: str) -> None:
    Scripted.answers, Scripted.head = [404], 200
    with pytest.raises(OCIError):
        _blob(registry)._complete(DIGEST, 10)
    assert Scripted.seen == [f"POST {SESSION}"]  # no gateway gave up: the session is unknown
