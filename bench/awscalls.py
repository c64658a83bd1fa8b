"""Count the AWS calls made by this process, with botocore's event hooks.

chalicelib creates its S3 client from a fresh botocore session and pynamodb creates its own
DynamoDB client from another, so there is no one session to hook. The recorder therefore
attaches its handlers to every client: to new ones as a session creates them, and to older
ones on their first API call (BaseClient._make_api_call is wrapped only for that). The
counting itself is done by the handlers:

- `before-parameter-build`: one logical API call, with the parameters as the caller gave
  them (so the items of a TransactWriteItems or BatchGetItem can be counted); presigning
  emits it too, with `is_presign_request` in its context, and is recorded apart: it is local.
- `before-send`: one HTTP attempt (retries included).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
DYNAMODB_WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


@dataclass(frozen=True, slots=True)
class AwsCall:
    service: str  # botocore's service name: "dynamodb", "s3"
    operation: str  # "GetItem", "PutObject", ...
    units: int  # items touched: the items of a transaction or batch, else 1

    def describe(self) -> str:
        suffix = f"[{self.units} items]" if self.units != 1 else ""
        return f"{self.service}:{self.operation}{suffix}"


def units_of(operation: str, params: dict[str, Any]) -> int:
    """How many items a DynamoDB call reads or writes (1 for everything else)."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return len(params.get("TransactItems") or [])
    if operation == "BatchWriteItem":
        return sum(len(v) for v in (params.get("RequestItems") or {}).values())
    if operation == "BatchGetItem":
        return sum(len(v.get("Keys") or []) for v in (params.get("RequestItems") or {}).values())
    return 1


@dataclass(slots=True)
class Tally:
    """What one window of recording saw."""

    calls: list[AwsCall] = field(default_factory=list)
    presigns: list[str] = field(default_factory=list)
    http_sends: int = 0

    def of(self, service: str) -> list[AwsCall]:
        return [c for c in self.calls if c.service == service]

    @property
    def dynamodb_read_calls(self) -> int:
        return sum(1 for c in self.of("dynamodb") if c.operation in DYNAMODB_READS)

    @property
    def dynamodb_read_units(self) -> int:
        return sum(c.units for c in self.of("dynamodb") if c.operation in DYNAMODB_READS)

    @property
    def dynamodb_write_calls(self) -> int:
        return sum(1 for c in self.of("dynamodb") if c.operation in DYNAMODB_WRITES)

    @property
    def dynamodb_write_units(self) -> int:
        return sum(c.units for c in self.of("dynamodb") if c.operation in DYNAMODB_WRITES)

    def operations(self, service: str) -> Counter[str]:
        return Counter(c.operation for c in self.of(service))

    def summary(self) -> dict[str, Any]:
        return {
            "calls": [c.describe() for c in self.calls],
            "dynamodb": {
                "calls": len(self.of("dynamodb")),
                "read_calls": self.dynamodb_read_calls,
                "read_units": self.dynamodb_read_units,
                "write_calls": self.dynamodb_write_calls,
                "write_units": self.dynamodb_write_units,
                "operations": dict(self.operations("dynamodb")),
            },
            "s3": {"calls": len(self.of("s3")), "operations": dict(self.operations("s3"))},
            "other_calls": [
                c.describe() for c in self.calls if c.service not in ("dynamodb", "s3")
            ],
            "presigned_locally": self.presigns,
            "http_sends": self.http_sends,
        }


class Recorder:
    """Installed once per process; `window()` collects the calls made inside it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Tally | None = None
        self._undo: list[Callable[[], None]] = []
        self._hook_id = f"berth-bench-{id(self)}"

    # -- handlers (botocore passes keyword arguments)

    def _on_params(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        tally = self._current
        if tally is None:
            return
        service = str(model.service_model.service_name)
        operation = str(model.name)
        with self._lock:
            if isinstance(context, dict) and context.get("is_presign_request"):
                tally.presigns.append(f"{service}:{operation}")
            else:
                tally.calls.append(AwsCall(service, operation, units_of(operation, params)))

    def _on_send(self, **_: Any) -> None:
        tally = self._current
        if tally is not None:
            with self._lock:
                tally.http_sends += 1

    def attach(self, client: Any) -> None:
        """Hook one botocore client (idempotent)."""
        events = client.meta.events
        events.register(
            "before-parameter-build", self._on_params, unique_id=self._hook_id + "-params"
        )
        events.register("before-send", self._on_send, unique_id=self._hook_id + "-send")

    # -- installation

    def install(self) -> None:
        import botocore.client
        import botocore.session

        recorder = self
        # Any: botocore-stubs know neither the private method nor a replaced attribute.
        session_class: Any = botocore.session.Session
        client_class: Any = botocore.client.BaseClient
        original_create = session_class.create_client
        original_call = client_class._make_api_call

        @functools.wraps(original_create)
        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original_create(session, *args, **kwargs)
            recorder.attach(client)
            return client

        @functools.wraps(original_call)
        def make_api_call(client: Any, operation_name: str, api_params: Any) -> Any:
            recorder.attach(client)  # a client made before install
            return original_call(client, operation_name, api_params)

        session_class.create_client = create_client
        client_class._make_api_call = make_api_call

        def undo() -> None:
            session_class.create_client = original_create
            client_class._make_api_call = original_call

        self._undo.append(undo)

    def uninstall(self) -> None:
        self._current = None
        while self._undo:
            self._undo.pop()()

    @contextmanager
    def window(self) -> Iterator[Tally]:
        tally = Tally()
        self._current = tally
        try:
            yield tally
        finally:
            self._current = None


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    recorder.install()
    try:
        yield recorder
    finally:
        recorder.uninstall()
