"""The local server's logger: JSON lines on stderr, in chalicelib's format.

It has its own handler and level rather than inheriting from the "berth" logger, so the app's
logging configuration (Chalice's, if it were ever enabled) cannot silence the server.
"""

from __future__ import annotations

from typing import Any

from chalicelib.log import json_logger

logger = json_logger("berth.localserver")


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` for a log call: the JSON formatter merges `fields` into the line."""
    return {"fields": values}
