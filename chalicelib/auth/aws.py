"""Lazily created botocore clients for auth (KMS, STS): a route that needs none pays nothing.

botocore directly, not boto3, as in `chalicelib.storage.aws`: a cold start stays short."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import aws_session
from chalicelib.config import settings

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        with _lock:
            found = _clients.get(service)
            if found is None:
                found = _clients[service] = _make(service)
    return found


def _make(service: str) -> Any:
    from botocore.config import Config

    config = settings()
    return aws_session.create_client(
        service,
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(
            connect_timeout=3,
            read_timeout=5,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def reset() -> None:
    """Forget cached clients (tests that change settings)."""
    with _lock:
        _clients.clear()
