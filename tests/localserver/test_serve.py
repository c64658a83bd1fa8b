"""`berth serve` end to end: a child process running the real app over moto."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.localserver import ServerProcess, spawn
from berth.localserver.forward import LAMBDA_BODY_LIMIT
from berth.localserver.splitting import CHUNK_SIZE


def _connect(server: ServerProcess) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)


def _repo() -> str:
    return f"local/{uuid.uuid4().hex[:12]}"


def _pieces(size: int, piece: int = 1 << 20) -> Iterator[bytes]:
    """`size` bytes of a fixed pattern, a piece at a time (never all in memory)."""
    block = (hashlib.sha256(b"layer").digest() * (piece // 32 + 1))[:piece]
    for offset in range(0, size, piece):
        yield block[: min(piece, size - offset)]


def _digest(size: int) -> str:
    h = hashlib.sha256()
    for piece in _pieces(size):
        h.update(piece)
    return "sha256:" + h.hexdigest()


def _open_session(connection: http.client.HTTPConnection, repo: str) -> str:
    connection.request("POST", f"/v2/{repo}/blobs/uploads/")
    response = connection.getresponse()
    response.read()
    assert response.status == 202, f"POST answered {response.status}"
    return response.headers["Location"]


def test_base_endpoint(server: ServerProcess) -> None:
    connection = _connect(server)
    connection.request("GET", "/v2/")
    response = connection.getresponse()
    assert response.status == 200
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert json.loads(response.read()) == {}
    connection.close()


def test_head_has_length_but_no_body_and_keep_alive_continues(server: ServerProcess) -> None:
    connection = _connect(server)
    connection.request("GET", "/v2/")
    get = connection.getresponse()
    body = get.read()
    connection.request("HEAD", "/v2/")
    head = connection.getresponse()
    assert head.read() == b""
    assert head.status == 200
    assert head.headers["Content-Length"] == str(len(body))
    # A stray HEAD body would be read as the start of this response.
    connection.request("GET", "/v2/")
    assert connection.getresponse().read() == body
    connection.close()


def test_startup_line_says_where_it_listens_and_stores(server: ServerProcess) -> None:
    assert server.url in server.line
    assert "berth-local-meta" in server.line
    assert "moto at http://127.0.0.1:" in server.line


def test_unknown_path_is_api_gateways_403(server: ServerProcess) -> None:
    connection = _connect(server)
    connection.request("GET", "/nope")
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    connection.close()


def _push_chunked(server: ServerProcess, repo: str, size: int) -> tuple[int, str]:
    """Docker's way: POST, one chunked PATCH of the whole blob, PUT ?digest=."""
    digest = _digest(size)
    connection = _connect(server)
    location = _open_session(connection, repo)
    connection.request(
        "PATCH",
        location,
        body=_pieces(size),
        headers={"Content-Type": "application/octet-stream"},
        encode_chunked=True,
    )
    patch = connection.getresponse()
    patch.read()
    assert patch.status == 202, patch.headers
    assert patch.headers["Range"] == f"0-{size - 1}"
    connection.request("PUT", f"{patch.headers['Location']}?digest={digest}")
    put = connection.getresponse()
    put.read()
    connection.close()
    return put.status, digest


def _blob_length(server: ServerProcess, repo: str, digest: str) -> int:
    connection = _connect(server)
    connection.request("HEAD", f"/v2/{repo}/blobs/{digest}")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    assert response.headers["Docker-Content-Digest"] == digest
    return int(response.headers["Content-Length"])


def test_small_chunked_patch_is_decoded(server: ServerProcess) -> None:
    repo = _repo()
    status, digest = _push_chunked(server, repo, 100_000)
    assert status == 201
    assert _blob_length(server, repo, digest) == 100_000


def test_large_monolithic_post_is_split_and_lands_whole(server: ServerProcess) -> None:
    repo, size = _repo(), CHUNK_SIZE + 3 * 1024 * 1024
    digest = _digest(size)
    connection = _connect(server)
    connection.request("POST", f"/v2/{repo}/blobs/uploads/")  # probe that uploads exist
    connection.getresponse().read()
    connection.request(
        "POST",
        f"/v2/{repo}/blobs/uploads/?digest={digest}",
        body=b"".join(_pieces(size)),
        headers={"Content-Type": "application/octet-stream"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 201, response.headers
    assert response.headers["Docker-Content-Digest"] == digest
    assert _blob_length(server, repo, digest) == size


def test_memory_stays_flat_while_a_large_layer_streams_in(server: ServerProcess) -> None:
    """300 MiB through one chunked PATCH: the server's peak RSS must not grow with the body."""
    size = 300 * 1024 * 1024
    before = server.memory_kib()["VmHWM"]
    repo = _repo()
    status, digest = _push_chunked(server, repo, size)
    after = server.memory_kib()["VmHWM"]
    assert status == 201
    assert _blob_length(server, repo, digest) == size
    grown_mib = (after - before) / 1024
    # A whole-body buffer would add 300 MiB at least; chunks add a few times CHUNK_SIZE.
    assert grown_mib < 160, f"peak RSS grew {grown_mib:.0f} MiB (from {before // 1024} MiB)"
    assert after / 1024 < 400, f"peak RSS {after // 1024} MiB"


def test_lambda_limits_refuse_large_bodies_naming_berth_push(limited_server: ServerProcess) -> None:
    connection = _connect(limited_server)
    location = _open_session(connection, _repo())
    connection.request(
        "PATCH",
        location,
        body=b"x" * (LAMBDA_BODY_LIMIT + 1),
        headers={"Content-Type": "application/octet-stream"},
    )
    response = connection.getresponse()
    error = json.loads(response.read())["errors"][0]
    assert response.status == 413
    assert error["code"] == "SIZE_INVALID"
    assert "berth push" in error["message"]
    # The body was drained: the connection still works.
    connection.request("GET", "/v2/")
    assert connection.getresponse().status == 200
    connection.close()


def test_lambda_limits_accept_bodies_under_the_limit(limited_server: ServerProcess) -> None:
    connection = _connect(limited_server)
    location = _open_session(connection, _repo())
    connection.request(
        "PATCH",
        location,
        body=b"x" * (4 * 1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 202
    connection.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def _exited(pidfd: int, timeout: float) -> bool:
    """Whether the process behind `pidfd` ends within `timeout`: the kernel makes a pidfd
    readable when its process exits, so this waits on that event rather than polling /proc."""
    readable, _, _ = select.select([pidfd], [], [], timeout)
    return bool(readable)


@pytest.mark.parametrize("how", ["sigterm", "sigint", "sigkill", "stdin"])
def test_stopping_the_server_ends_moto_too(tmp_path: Path, how: str) -> None:
    with (tmp_path / "serve.log").open("wb") as log:
        server = spawn(stderr=log)
    try:
        [moto] = _children(server.pid)
        # Opened while moto is alive and the server's child: its pid cannot be reused yet.
        pidfd = os.pidfd_open(moto)
        if how == "stdin":
            assert server.process.stdin is not None
            server.process.stdin.close()
        else:
            sign = {"sigterm": signal.SIGTERM, "sigint": signal.SIGINT, "sigkill": signal.SIGKILL}
            os.kill(server.pid, sign[how])
        code = server.process.wait(timeout=30)
        assert code == (-signal.SIGKILL if how == "sigkill" else 0)
        try:
            assert _exited(pidfd, 30), f"moto child {moto} outlived the server ({how})"
        finally:
            os.close(pidfd)
    finally:
        server.stop()


def test_cli_help_lists_serve() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "berth.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--lambda-limits" in out.stdout and "--port" in out.stdout


def test_a_port_in_use_fails_fast_with_a_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "berth.cli", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert out.stdout == ""


def test_a_job_budget_no_copy_could_use_fails_fast_with_a_message() -> None:
    """BERTH_LOCAL_JOB_SECONDS at or under the copy's one-minute margin would stop every
    replication before its first chunk, so the server refuses to start."""
    out = subprocess.run(
        [sys.executable, "-m", "berth.cli", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "BERTH_LOCAL_JOB_SECONDS": "30"},
    )
    assert out.returncode == 1
    assert "BERTH_LOCAL_JOB_SECONDS must be seconds over 60" in out.stderr
    assert out.stdout == ""
