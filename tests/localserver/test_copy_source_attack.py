"""Issue 11, D3: a pusher of repository A must not read a private blob of repository B by
completing a direct upload (s3-uploads) whose parts S3 copied from B's blob.

The attack, exactly as the review ran it against `berth serve`: open a multipart session in A
for B's digest, ask for part URLs signed with the checksum of an *empty* body, PUT each part
with an empty body and an unsigned `x-amz-copy-source` naming B's content address (moto then
copies the bytes server-side), complete the session, pull the blob from A. Two layers refuse
it: the S3 front refuses unsigned `x-amz-*` headers (as S3 does), and completion ties the
parts' checksums to the bytes S3 actually holds (tests/extensions/test_s3_uploads.py covers
that layer alone)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from berth.localserver import ServerProcess, spawn

MiB = 1024 * 1024
EMPTY = base64.b64encode(hashlib.sha256(b"").digest()).decode()


@pytest.fixture(scope="module")
def small_parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Multipart above 1 MiB in 5 MiB parts, so the attack needs only a 6 MiB blob."""
    log = Path(tmp_path_factory.mktemp("copy-source")) / "serve.log"
    env = {"BERTH_S3_SINGLE_PUT_MAX": str(MiB), "BERTH_S3_PART_SIZE": str(5 * MiB)}
    with log.open("wb") as stderr, spawn(stderr=stderr, env=env) as server:
        yield server


def _call(
    server: ServerProcess,
    method: str,
    target: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(target if "://" in target else server.url + target)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def _bucket(server: ServerProcess) -> str:
    match = re.search(r"S3 bucket (\S+?),", server.line)
    assert match, server.line
    return match.group(1)


def test_a_part_copied_from_another_repositorys_blob_is_never_linked(
    small_parts: ServerProcess,
) -> None:
    server = small_parts
    secret = os.urandom(6 * MiB + 11)
    digest = "sha256:" + hashlib.sha256(secret).hexdigest()
    victim, attacker = "copy/victim-private", "copy/attacker"
    status, _, _ = _call(server, "POST", f"/v2/{victim}/blobs/uploads/?digest={digest}", secret)
    assert status == 201

    document = json.dumps({"digest": digest, "size": len(secret)}).encode()
    status, _, body = _call(server, "POST", f"/v2/{attacker}/_berth/s3-uploads", document)
    assert status == 202, body
    session = json.loads(body)
    assert session["multipart"] and session["partCount"] == 2
    asked = [{"partNumber": n, "checksumSHA256": EMPTY} for n in (1, 2)]
    status, _, body = _call(
        server, "POST", f"{session['location']}/parts", json.dumps({"parts": asked}).encode()
    )
    assert status == 200, body
    source = f"/{_bucket(server)}/blobs/sha256/{digest.partition(':')[2]}"
    ranges = [f"bytes=0-{5 * MiB - 1}", f"bytes={5 * MiB}-{len(secret) - 1}"]
    refused = []
    for part, copy_range in zip(json.loads(body)["parts"], ranges, strict=True):
        headers = {
            **part["headers"],
            "x-amz-copy-source": source,
            "x-amz-copy-source-range": copy_range,
        }
        status, _, answer = _call(server, "PUT", part["url"], b"", headers)
        refused.append((status, answer))
    # The front refuses what S3 refuses: x-amz-* headers that the URL does not sign.
    for status, answer in refused:
        assert status == 403, answer
        assert b"<Code>AccessDenied</Code>" in answer
        assert b"not signed" in answer

    listed = [{"partNumber": n, "etag": '"x"', "checksumSHA256": EMPTY} for n in (1, 2)]
    status, _, body = _call(
        server, "POST", session["location"], json.dumps({"parts": listed}).encode()
    )
    assert status >= 400 and status < 500, body
    status, _, _ = _call(server, "HEAD", f"/v2/{attacker}/blobs/{digest}")
    assert status == 404
    status, _, _ = _call(server, "GET", f"/v2/{attacker}/blobs/{digest}")
    assert status == 404


def test_signed_headers_still_pass_and_unsigned_ones_do_not(small_parts: ServerProcess) -> None:
    """A part URL used as handed out works; the same URL with one more x-amz header is 403."""
    data = os.urandom(6 * MiB + 1)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    document = json.dumps({"digest": digest, "size": len(data)}).encode()
    status, _, body = _call(small_parts, "POST", "/v2/copy/honest/_berth/s3-uploads", document)
    assert status == 202, body
    session = json.loads(body)
    pieces = [data[: 5 * MiB], data[5 * MiB :]]
    asked = [
        {"partNumber": n, "checksumSHA256": base64.b64encode(hashlib.sha256(p).digest()).decode()}
        for n, p in enumerate(pieces, 1)
    ]
    status, _, body = _call(
        small_parts, "POST", f"{session['location']}/parts", json.dumps({"parts": asked}).encode()
    )
    urls: list[dict[str, Any]] = json.loads(body)["parts"]
    extra = {**urls[0]["headers"], "x-amz-meta-note": "unsigned"}
    status, _, answer = _call(small_parts, "PUT", urls[0]["url"], pieces[0], extra)
    assert status == 403 and b"x-amz-meta-note" in answer
    listed = []
    for url, piece, ask in zip(urls, pieces, asked, strict=True):
        status, headers, answer = _call(small_parts, "PUT", url["url"], piece, url["headers"])
        assert status == 200, answer
        etag = {k.lower(): v for k, v in headers.items()}["etag"]
        listed.append({**ask, "etag": etag})
    status, _, body = _call(
        small_parts, "POST", session["location"], json.dumps({"parts": listed}).encode()
    )
    assert status == 201, body
