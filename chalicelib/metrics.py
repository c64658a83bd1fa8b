"""Request metrics in CloudWatch embedded metric format (EMF), inside the request log line.

Lambda ships every stdout/stderr line to CloudWatch Logs, which turns a line's `_aws` block
into metrics: no PutMetricData call, no extra permission, no latency, and the numbers stay
beside the request they describe. The same line therefore serves search (Logs Insights)
and graphs or alarms (the `Berth` namespace; infra/berth.yaml alarms on `Errors`).
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Any

from chalicelib.oci.paths import parse_path

NAMESPACE = "Berth"
# Per operation, and over the whole stage (the dimension set the 5xx alarm watches).
DIMENSIONS = [["Stage", "Operation"], ["Stage"]]
METRICS = [
    {"Name": "Latency", "Unit": "Milliseconds"},
    {"Name": "Requests", "Unit": "Count"},
    {"Name": "Errors", "Unit": "Count"},
    {"Name": "RedirectedBytes", "Unit": "Bytes"},
]


@lru_cache(maxsize=1)
def stage() -> str:
    return os.environ.get("BERTH_STAGE", "local")


def operation(method: str, path: str) -> tuple[str, str | None]:
    """The operation (`GetManifest`, `PatchUpload`, ...) and repository a request names."""
    endpoint = parse_path(path)
    if endpoint is None:
        return "Unknown", None
    resource = "".join(part.title() for part in endpoint.resource.value.split("_"))
    return f"{method.title()}{resource}", endpoint.name or None


def emf(op: str, status: int, latency_ms: float, redirected_bytes: int) -> dict[str, Any]:
    """The EMF members of one request's log line: the `_aws` directive and its values."""
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": DIMENSIONS, "Metrics": METRICS}
            ],
        },
        "Stage": stage(),
        "Operation": op,
        "Latency": latency_ms,
        "Requests": 1,
        "Errors": 1 if status >= 500 else 0,
        "RedirectedBytes": redirected_bytes,
    }
