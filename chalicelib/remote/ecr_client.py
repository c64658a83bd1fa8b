"""ECR clients per region, made on first use (a replication to ECR needs one; nothing else
pays for it): botocore directly, as chalicelib/auth/aws.py does, for a short cold start."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import aws_session
from chalicelib.config import settings

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def ecr(region: str) -> Any:
    with _lock:
        found = _clients.get(region)
        if found is None:
            from botocore.config import Config

            found = _clients[region] = aws_session.create_client(
                "ecr",
                region_name=region,
                endpoint_url=settings().endpoint_url,
                config=Config(
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        return found


def reset() -> None:
    with _lock:
        _clients.clear()
