"""Large uploads reach the handler as several PATCH events; small ones as one, unchanged."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from berth.localserver.bodies import ChunkedBody, FixedBody
from berth.localserver.forward import LAMBDA_BODY_LIMIT, forward
from berth.localserver.messages import GatewayRequest
from berth.localserver.splitting import CHUNK_SIZE, SPLIT_THRESHOLD
from tests.localserver.stubs import RecordingApp, gateway

SESSION = "/v2/team/app/blobs/uploads/s0"
OCTETS = (("Content-Type", "application/octet-stream"),)


def _fixed(data: bytes) -> FixedBody:
    return FixedBody(io.BufferedReader(io.BytesIO(data)), len(data))


def _chunked(data: bytes, piece: int = 1 << 20) -> ChunkedBody:
    wire = b"".join(
        b"%x\r\n%s\r\n" % (len(data[i : i + piece]), data[i : i + piece])
        for i in range(0, len(data), piece)
    )
    return ChunkedBody(io.BufferedReader(io.BytesIO(wire + b"0\r\n\r\n")))


def _blob(size: int) -> bytes:
    return (hashlib.sha256(b"seed").digest() * (size // 32 + 1))[:size]


def _open(app: RecordingApp) -> None:
    forward(gateway(app), GatewayRequest("POST", "/v2/team/app/blobs/uploads/"), _fixed(b""))
    app.events.clear()


def _ranges(app: RecordingApp) -> list[str | None]:
    return [(e["headers"] or {}).get("Content-Range") for e in app.events]


def test_large_patch_is_split_into_chunk_events_with_ranges() -> None:
    app = RecordingApp()
    _open(app)
    data = _blob(2 * CHUNK_SIZE + 123)
    request = GatewayRequest("PATCH", SESSION, "", OCTETS)

    response = forward(gateway(app), request, _chunked(data))

    assert response.status == 202
    assert response.header("Range") == f"0-{len(data) - 1}"
    assert [e["httpMethod"] for e in app.events] == ["PATCH"] * 3
    assert [len(e["raw"]) for e in app.events] == [CHUNK_SIZE, CHUNK_SIZE, 123]
    # The client sent no Content-Range: the first chunk appends, the next ones say where.
    assert _ranges(app) == [
        None,
        f"{CHUNK_SIZE}-{2 * CHUNK_SIZE - 1}",
        f"{2 * CHUNK_SIZE}-{2 * CHUNK_SIZE + 122}",
    ]
    assert all(int(e["headers"]["Content-Length"]) == len(e["raw"]) for e in app.events)
    assert all("Transfer-Encoding" not in e["headers"] for e in app.events)
    assert app.hashes[SESSION].digest() == hashlib.sha256(data).digest()
    assert response.events == 3


def test_split_chunks_go_to_the_handler_as_bytes_and_whole_bodies_as_base64() -> None:
    """No API Gateway event carries a split chunk (Lambda takes 6 MB), so it is not base64
    text the handler must decode; a body sent whole keeps API Gateway's encoding."""
    app = RecordingApp()
    _open(app)
    data = _blob(CHUNK_SIZE + 7)
    forward(gateway(app), GatewayRequest("PATCH", SESSION, "", OCTETS), _fixed(data))
    forward(gateway(app), GatewayRequest("PATCH", SESSION, "", OCTETS), _fixed(b"tail"))

    assert [e["isBase64Encoded"] for e in app.events] == [False, False, True]
    assert [e["raw"] for e in app.events] == [data[:CHUNK_SIZE], data[CHUNK_SIZE:], b"tail"]
    assert app.hashes[SESSION].digest() == hashlib.sha256(data + b"tail").digest()


def test_patch_continuing_a_session_keeps_the_clients_start() -> None:
    app = RecordingApp()
    _open(app)
    forward(gateway(app), GatewayRequest("PATCH", SESSION, "", OCTETS), _fixed(b"abc"))
    data = _blob(CHUNK_SIZE + 5)
    headers = (*OCTETS, ("Content-Range", f"3-{3 + len(data) - 1}"))

    response = forward(gateway(app), GatewayRequest("PATCH", SESSION, "", headers), _fixed(data))

    assert response.status == 202
    assert _ranges(app)[1:] == [f"3-{CHUNK_SIZE + 2}", f"{CHUNK_SIZE + 3}-{CHUNK_SIZE + 7}"]


def test_large_put_is_split_then_closed_with_the_digest() -> None:
    app = RecordingApp()
    _open(app)
    data = _blob(CHUNK_SIZE + SPLIT_THRESHOLD)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    request = GatewayRequest("PUT", SESSION, f"digest={digest}", OCTETS)

    response = forward(gateway(app), request, _fixed(data))

    assert response.status == 201
    assert response.header("Docker-Content-Digest") == digest
    assert [e["httpMethod"] for e in app.events] == ["PATCH", "PATCH", "PUT"]
    assert all("digest" not in (e["queryStringParameters"] or {}) for e in app.events[:2])
    assert app.events[2]["queryStringParameters"] == {"digest": digest}
    assert app.events[2]["raw"] == b""


def test_large_monolithic_post_opens_a_session_patches_and_puts() -> None:
    app = RecordingApp()
    data = _blob(SPLIT_THRESHOLD + 1)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    request = GatewayRequest("POST", "/v2/team/app/blobs/uploads/", f"digest={digest}", OCTETS)

    response = forward(gateway(app), request, _fixed(data))

    assert response.status == 201
    assert [(e["httpMethod"], e["path"]) for e in app.events] == [
        ("POST", "/v2/team/app/blobs/uploads"),
        ("PATCH", SESSION),
        ("PUT", SESSION),
    ]
    assert app.events[0]["raw"] == b"" and app.events[0]["queryStringParameters"] is None
    assert _ranges(app)[1] == f"0-{len(data) - 1}"
    assert app.events[2]["queryStringParameters"] == {"digest": digest}


def test_a_failing_chunk_ends_the_request_with_its_response() -> None:
    app = RecordingApp(fail_patch_at=2)
    _open(app)
    body = _fixed(_blob(3 * CHUNK_SIZE))

    response = forward(gateway(app), GatewayRequest("PATCH", SESSION, "", OCTETS), body)

    assert response.status == 416
    assert len(app.events) == 2
    assert body.drain(4 * CHUNK_SIZE) is True  # the rest is left for the server to drain


@pytest.mark.parametrize("framing", [_fixed, _chunked])
def test_small_bodies_go_through_as_one_event_unchanged(framing: object) -> None:
    app = RecordingApp()
    _open(app)
    data = _blob(SPLIT_THRESHOLD)
    headers = (*OCTETS, ("Content-Range", f"0-{len(data) - 1}"))

    forward(gateway(app), GatewayRequest("PATCH", SESSION, "", headers), framing(data))  # type: ignore[operator]

    assert len(app.events) == 1
    assert app.events[0]["raw"] == data
    assert app.events[0]["headers"]["Content-Range"] == f"0-{len(data) - 1}"
    assert app.events[0]["headers"]["Content-Length"] == str(len(data))


def test_lambda_limits_refuse_large_bodies_with_413_and_never_split() -> None:
    app = RecordingApp()
    _open(app)
    request = GatewayRequest("PATCH", SESSION, "", OCTETS)

    response = forward(
        gateway(app, lambda_limits=True), request, _chunked(_blob(LAMBDA_BODY_LIMIT + 1))
    )

    assert response.status == 413
    error = json.loads(response.body)["errors"][0]
    assert error["code"] == "SIZE_INVALID"
    assert "berth push" in error["message"]
    assert app.events == []


def test_lambda_limits_pass_bodies_under_the_limit_whole() -> None:
    app = RecordingApp()
    _open(app)
    data = _blob(LAMBDA_BODY_LIMIT)
    request = GatewayRequest("PATCH", SESSION, "", OCTETS)

    response = forward(gateway(app, lambda_limits=True), request, _fixed(data))

    assert response.status == 202
    assert [len(e["raw"]) for e in app.events] == [len(data)]


def test_lambda_limit_leaves_room_for_the_event_in_6_mb() -> None:
    # 4 base64 characters per 3 bytes must fit in Lambda's 6 MB with the rest of the event.
    assert (LAMBDA_BODY_LIMIT + 2) // 3 * 4 < 6_000_000 - 32 * 1024


def test_unknown_paths_get_api_gateways_403() -> None:
    app = RecordingApp()
    response = forward(gateway(app), GatewayRequest("GET", "/nothing"), _fixed(b""))
    assert response.status == 403
    assert json.loads(response.body) == {"message": "Missing Authentication Token"}
    assert app.events == []
