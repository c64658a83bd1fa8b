"""The one botocore session every client of the runtime is made from.

A session parses botocore's data (endpoints, partitions, retry rules, each service's model
and endpoint rules) on its first client and keeps it; separate sessions (one per client, and
pynamodb's own per model class) parse it all again and each register botocore's three
hundred handlers. One session, created on first use, with the loader of
chalicelib/aws_models.py, pays that once per cold start. botocore sessions are not safe to
create clients from concurrently, and `berth serve` runs the handler in threads: clients are
made under LOCK; clients themselves are thread-safe."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.session import Session

LOCK = threading.RLock()
_session: Session | None = None


def session() -> Session:
    """The process's session (made, with Berth's loader, on first use)."""
    global _session
    with LOCK:
        if _session is None:
            import botocore.session

            from chalicelib.aws_models import models_loader

            made = botocore.session.Session()
            made.register_component(
                "data_loader", models_loader(made.get_config_variable("data_path"))
            )
            _session = made
        return _session


def create_client(service: str, **options: Any) -> Any:
    """A botocore client of `service` (one of chalicelib.aws_models.SERVICES)."""
    with LOCK:
        return session().create_client(service, **options)
