"""Lazily created AWS clients. botocore directly (not boto3) keeps a cold start short."""

from __future__ import annotations

import threading
from typing import Any

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


def _make_s3() -> Any:
    import botocore.session
    from botocore.config import Config

    config = settings()
    s3_options: dict[str, Any] = {}
    if config.endpoint_url:
        s3_options["addressing_style"] = "path"
    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
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
