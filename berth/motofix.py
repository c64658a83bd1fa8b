"""Make moto's DynamoDB apply each request atomically, as DynamoDB does.

moto checks a write's condition and then writes, with no lock between the two, so two
threads can both pass `attribute_not_exists` or `offset = :start`. Real DynamoDB never
lets that happen, and Berth's upload sessions and tag moves rely on it. The local server
and the tests serialise moto's DynamoDB actions so that concurrency behaves as in AWS.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def serialise_dynamodb() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True
