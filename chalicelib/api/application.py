"""The Chalice application object, made safe for a threaded local server, with two doors.

Chalice keeps the request being served in `app.current_request`. On Lambda one process
serves one request at a time, but `berth serve` runs the same handler on many threads, so
the attribute is kept per thread.

Chalice deploys `app.app` as the handler of the API's function, so that one function also
answers a Lambda Function URL (chalicelib/api/front_door.py, which reads those events itself
and calls the same dispatcher): one function, one policy, one set of alarms and one pool of
warm instances behind either front door.
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

    def __call__(self, event: Any, context: Any) -> Any:
        """API Gateway REST proxy events through Chalice's routing; Function URL events read
        as they are by their own door, straight to the dispatcher."""
        if isinstance(event, dict) and event.get("version") == "2.0":
            from chalicelib.api import front_door

            if front_door.is_function_url_event(event):
                page = front_door.web_route_of(str(event["rawPath"]))
                if page is not None:  # the web pages: their Chalice routes (front_door.py)
                    answer = front_door.serve_page(self, event, *page)
                    return front_door.to_url_result(answer.to_dict(self.api.binary_types))
                return front_door.handle(event, self.api.binary_types)
        return super().__call__(event, context)
