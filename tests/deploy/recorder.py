"""Record the AWS calls the runtime (chalicelib) makes, and what IAM asks of each.

Every botocore call and every presigned URL passes through `BaseClient._emit_api_params`; a
call counts when a frame of chalicelib is on the stack, so test setup (CloudFormation, direct
S3 reads) does not. Recording is per process, which suits pytest-xdist: each worker checks
its own tests' calls as they finish (`runtime_calls_allowed`), so an unauthorised call fails
the test that made it, whichever worker ran it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.client

from tests.deploy.permissions import Permission, permissions

CHALICELIB = str(Path(__file__).resolve().parents[2] / "chalicelib")


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # "s3:PutObject"
    needs: frozenset[Permission]
    problem: str | None = None  # a call permissions.py cannot map


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        service = client.meta.service_model.endpoint_prefix
        name = f"{service}:{operation}"
        try:
            needs = frozenset(permissions(service, operation, params, client.meta.region_name))
            call = Call(name, needs)
        except (LookupError, KeyError, TypeError, ValueError) as error:
            call = Call(name, frozenset(), f"{type(error).__name__}: {error}")
        with self._lock:
            self.calls.append(call)

    def since(self, start: int) -> list[Call]:
        with self._lock:
            return self.calls[start:]


def _from_runtime() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(CHALICELIB):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def install(recorder: Recorder) -> Callable[[], None]:
    """Patch botocore so `recorder` sees the runtime's calls; returns the undo."""
    original = botocore.client.BaseClient._emit_api_params

    def emit(self: Any, api_params: Any, operation_model: Any, context: Any) -> Any:
        params = original(self, api_params, operation_model, context)
        if _from_runtime():
            recorder.record(self, operation_model.name, dict(params))
        return params

    botocore.client.BaseClient._emit_api_params = emit  # type: ignore[method-assign]

    def undo() -> None:
        botocore.client.BaseClient._emit_api_params = original  # type: ignore[method-assign]

    return undo


def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    undo = install(recorder)
    try:
        yield recorder
    finally:
        undo()
