"""The local server's logger: JSON lines on stderr, in chalicelib's format.

It has its own handler and level rather than inheriting from the "berth" logger, because
Chalice(app_name="berth") reconfigures that one (level ERROR, plus a plain-text stdout handler).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from chalicelib.log import JsonFormatter


def _make_logger() -> logging.Logger:
    log = logging.getLogger("berth.localserver")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


logger = _make_logger()


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` for a log call: the JSON formatter merges `fields` into the line."""
    return {"fields": values}
