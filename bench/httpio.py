"""Plain HTTP transfers for the floor measurements: stream a file up, stream a body down.

Presigned S3 URLs are made with botocore (SigV4, locally); the bytes move with http.client in
1 MiB pieces, as lean a client as the measurement can have.
"""

from __future__ import annotations

import http.client
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PIECE = 1 << 20


def connect(url: str, timeout: float = 600.0) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout, blocksize=PIECE
    )
    connection.connect()
    if connection.sock is not None:
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def put_file(url: str, path: Path) -> float:
    """PUT a file's bytes with a Content-Length; seconds taken."""
    size = path.stat().st_size
    started = time.perf_counter()
    connection = connect(url)
    try:
        with path.open("rb") as body:
            connection.request(
                "PUT", _target(url), body=body, headers={"Content-Length": str(size)}
            )
            response = connection.getresponse()
            response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"PUT {url[:80]}: HTTP {response.status}")
    return time.perf_counter() - started


def get_to_file(url: str, path: Path) -> tuple[float, int]:
    """GET a body into a file; seconds taken and bytes received."""
    started = time.perf_counter()
    received = 0
    connection = connect(url)
    try:
        connection.request("GET", _target(url))
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"GET {url[:80]}: HTTP {response.status}")
        with path.open("wb") as out:
            while piece := response.read(PIECE):
                out.write(piece)
                received += len(piece)
    finally:
        connection.close()
    return time.perf_counter() - started, received


class S3Floor:
    """Direct access to a moto S3 endpoint through presigned URLs, in a bucket of our own."""

    def __init__(self, endpoint: str, bucket: str = "berth-bench-floor") -> None:
        import botocore.session
        from botocore.config import Config

        self.bucket = bucket
        client: Any = botocore.session.get_session().create_client(
            "s3",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        self._client = client

    def url(self, method: str, key: str) -> str:
        operation = "put_object" if method == "PUT" else "get_object"
        url: str = self._client.generate_presigned_url(
            operation, Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=3600
        )
        return url

    def put_bytes(self, key: str, data: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=key)
