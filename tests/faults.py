"""Inject one AWS failure at a chosen call, to rehearse faults at every step of a request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
from botocore.exceptions import ClientError


class FaultInjector:
    """Counts every AWS API call (S3 and DynamoDB alike) and fails the one numbered `fail_at`."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.calls: list[str] = []
        self.failed: str | None = None

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            index = len(self.calls)
            self.calls.append(operation)
            if index == self.fail_at:
                self.failed = operation
                raise ClientError(
                    {"Error": {"Code": "InternalError", "Message": "injected fault"}}, operation
                )
            return original(client, operation, params)

        return call


@contextmanager
def injected(fail_at: int | None = None) -> Iterator[FaultInjector]:
    """Inside, the signing policy is read on every request instead of from the instance's
    10-second cache (chalicelib/storage/trust_policy.py): every run of a request makes the
    same calls, whatever ran before, and a fault can land on that read too."""
    from chalicelib.storage import trust_policy

    injector = FaultInjector(fail_at)
    original = botocore.client.BaseClient._make_api_call
    cache_seconds = trust_policy.CACHE_SECONDS
    trust_policy.CACHE_SECONDS = 0.0
    botocore.client.BaseClient._make_api_call = injector.wrap(original)  # type: ignore[method-assign]
    try:
        yield injector
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
        trust_policy.CACHE_SECONDS = cache_seconds
