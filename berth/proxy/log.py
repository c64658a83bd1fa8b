"""The proxy's logger: JSON lines on stderr, in the same format as the registry's."""

from __future__ import annotations

from chalicelib.log import json_logger

logger = json_logger("berth.proxy")
