"""The Chalice application object, made safe for a threaded local server.

Chalice keeps the request being served in `app.current_request`. On Lambda one process
serves one request at a time, but `berth serve` runs the same handler on many threads, so
the attribute is kept per thread.
"""

from __future__ import annotations

import threading
from typing import Any

from chalice.app import Chalice


class BerthChalice(Chalice):  # type: ignore[misc]
    _local = threading.local()

    @property  # type: ignore[override]
    def current_request(self) -> Any:
        return getattr(self._local, "request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._local.request = value
