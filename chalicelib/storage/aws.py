"""Lazily created AWS clients. botocore directly (not boto3) keeps a cold start short, and the
runtime's one session (chalicelib/aws_session.py) parses botocore's data once."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import aws_session
from chalicelib.config import settings

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def s3() -> Any:
    """The S3 client, SigV4: this botocore presigns SigV2 by default."""
    client = _clients.get("s3")
    if client is None:
        with _lock:
            client = _clients.get("s3")
            if client is None:
                client = _clients["s3"] = _make_s3()
    return client


def presigner() -> Any:
    """The S3 client to presign with: URLs for clients, which may reach S3 at another
    address than the function does (the local server's S3 front). Every presigned URL
    Berth hands out must come from here."""
    if settings().presign_endpoint_url is None:
        return s3()
    client = _clients.get("presign")
    if client is None:
        with _lock:
            client = _clients.get("presign")
            if client is None:
                client = _clients["presign"] = _make_s3(settings().presign_endpoint_url)
    return client


def _make_s3(endpoint_url: str | None = None) -> Any:
    from botocore.config import Config

    config = settings()
    endpoint_url = endpoint_url or config.endpoint_url
    s3_options: dict[str, Any] = {}
    if endpoint_url:
        s3_options["addressing_style"] = "path"
    return aws_session.create_client(
        "s3",
        region_name=config.region,
        endpoint_url=endpoint_url,
        config=Config(
            signature_version="s3v4",
            s3=s3_options,  # type: ignore[arg-type]
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=32,
        ),
    )


def reset() -> None:
    """Forget cached clients (tests that change settings)."""
    with _lock:
        _clients.clear()
