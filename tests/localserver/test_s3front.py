"""The S3 front of `berth serve`: blob redirects point at it, and it enforces what S3 would
(expiry, signature) before moto serves the bytes — moto itself checks neither."""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.config import Config

from berth.localserver import ServerProcess, spawn


def _get(url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request("GET", target, headers=headers or {})
    return connection.getresponse()


def _push_blob(server: ServerProcess, data: bytes) -> tuple[str, str]:
    """Push `data` monolithically into a fresh repository; (repository, digest)."""
    repo = f"front/{uuid.uuid4().hex[:10]}"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request(
        "POST",
        f"/v2/{repo}/blobs/uploads/?digest={digest}",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 201, response.status
    return repo, digest


def _location(server: ServerProcess, repo: str, digest: str) -> str:
    response = _get(f"{server.url}/v2/{repo}/blobs/{digest}")
    response.read()
    assert response.status == 307
    return response.headers["Location"]


TTL = 123  # not the default (300): the URLs must carry the TTL the server was given
PUBLIC = "http://localhost:8443"  # as behind a proxy or a port mapping: not the bound port


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on a port of its own choosing, which says it is reached as PUBLIC."""
    log = Path(tmp_path_factory.mktemp("front")) / "serve.log"
    with (
        log.open("wb") as stderr,
        spawn(stderr=stderr, env={"BERTH_PRESIGN_TTL": str(TTL)}, public_url=PUBLIC) as server,
    ):
        yield server


def _via_loopback(location: str, server: ServerProcess) -> tuple[str, dict[str, str]]:
    """Reach a PUBLIC URL at the server itself, sending the Host it was signed for."""
    parts = urlsplit(location)
    return parts._replace(netloc=f"127.0.0.1:{server.port}").geturl(), {"Host": parts.netloc}


def test_redirects_point_at_the_servers_own_s3_front(server: ServerProcess) -> None:
    data = b"layer bytes " * 1000
    repo, digest = _push_blob(server, data)
    location = _location(server, repo, digest)
    assert location.startswith(f"{server.url}/_s3/"), location
    response = _get(location)
    assert response.status == 200
    assert response.read() == data
    ranged = _get(location, {"Range": "bytes=12-23"})
    assert ranged.status == 206
    assert ranged.read() == data[12:24]


def test_front_refuses_urls_that_are_not_presigned_or_are_tampered(server: ServerProcess) -> None:
    repo, digest = _push_blob(server, b"secret layer")
    location = _location(server, repo, digest)
    bare = _get(location.split("?", 1)[0])
    assert bare.status == 403
    assert b"<Code>AccessDenied</Code>" in bare.read()
    _, other = _push_blob(server, b"another layer")
    forged = location.replace(digest.split(":")[1], other.split(":")[1])
    answer = _get(forged)
    assert answer.status == 403
    assert b"SignatureDoesNotMatch" in answer.read()


def test_a_url_used_past_its_ttl_is_refused_by_berth(
    named: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto would serve it forever; the S3 front refuses it as S3 does. No waiting: the
    expired (and the not yet valid) URL is signed as of two hours ago (from now) by botocore
    with the server's credentials; where exactly a TTL ends is tests/localserver/
    test_presigned.py's, on an injected clock."""
    repo, digest = _push_blob(named, b"short-lived")
    location = _location(named, repo, digest)
    assert location.startswith(f"{PUBLIC}/_s3/"), location
    assert f"X-Amz-Expires={TTL}&" in location
    url, host = _via_loopback(location, named)
    fresh = _get(url, host)
    assert (fresh.status, fresh.read()) == (200, b"short-lived")
    key = urlsplit(location).path.split("/", 3)[3]
    for shift, reason in ((-2, b"Request has expired"), (2, b"Request is not valid yet")):
        moment = datetime.now(UTC) + timedelta(hours=shift)
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda m=moment: m)
        signed = _presigner(named, PUBLIC).generate_presigned_url(
            "get_object", Params={"Bucket": _bucket(named), "Key": key}, ExpiresIn=TTL
        )
        monkeypatch.undo()
        answer = _get(*_via_loopback(signed, named))
        assert answer.status == 403, (shift, answer.status)
        assert reason in answer.read()


def _presigner(server: ServerProcess, public: str | None = None) -> Any:
    from berth.localserver.stack import FAKE_CREDENTIALS, REGION

    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name=REGION,
        endpoint_url=f"{public or server.url}/_s3",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def _bucket(server: ServerProcess) -> str:
    match = re.search(r"S3 bucket (\S+?),", server.line)
    assert match, server.line
    return match.group(1)


def _put(url: str, data: bytes, checksum: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    connection.request(
        "PUT", f"{parts.path}?{parts.query}", body=data,
        headers={"x-amz-checksum-sha256": checksum},
    )  # fmt: skip
    response = connection.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize("size", [1000, 9 * 1024 * 1024 + 7])  # in memory; spooled to disk
def test_an_upload_that_does_not_match_its_signed_checksum_is_refused_as_s3_does(
    server: ServerProcess, size: int
) -> None:
    """moto stores whatever it is sent; S3 answers 400 BadDigest and stores nothing."""
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    presigner, bucket = _presigner(server), _bucket(server)
    key = f"uploads/front-test/{uuid.uuid4().hex}"

    def url(method: str) -> str:
        params = {"Bucket": bucket, "Key": key}
        if method == "put_object":
            params["ChecksumSHA256"] = checksum
        signed: str = presigner.generate_presigned_url(method, Params=params, ExpiresIn=60)
        return signed

    swapped = data[:-1] + bytes([data[-1] ^ 1])
    status, answer = _put(url("put_object"), swapped, checksum)
    assert status == 400 and b"<Code>BadDigest</Code>" in answer
    assert _get(url("get_object")).status == 404  # nothing stored
    assert _put(url("put_object"), data, "bm90IGEgc2hhMjU2")[0] == 403  # header is signed
    assert _put(url("put_object"), data, checksum)[0] == 200
    stored = _get(url("get_object"))
    assert (stored.status, stored.read()) == (200, data)


def test_bound_to_every_address_urls_name_this_machine(tmp_path: Path) -> None:
    """`--host 0.0.0.0` without `--public-url`: a URL naming 0.0.0.0 reaches nobody else, so
    presigned URLs use the machine's name (and the startup line says so)."""
    name = socket.gethostname()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr, spawn(host="0.0.0.0", stderr=stderr) as server:
        public = f"http://{name}:{server.port}"
        assert f"blob downloads redirect to {public}/_s3" in server.line
        local = ServerProcess(f"http://127.0.0.1:{server.port}", server.line, server.process)
        repo, digest = _push_blob(local, b"for a remote puller")
        location = _location(local, repo, digest)
        assert location.startswith(f"{public}/_s3/"), location
        answer = _get(location)  # the name resolves here too
        assert (answer.status, answer.read()) == (200, b"for a remote puller")
