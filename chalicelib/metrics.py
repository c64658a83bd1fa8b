"""Request metrics in CloudWatch embedded metric format (EMF), inside the request log line.

Lambda ships every stdout/stderr line to CloudWatch Logs, which turns a line's `_aws` block
into metrics: no PutMetricData call, no extra permission, no latency, and the numbers stay
beside the request they describe. The same line therefore serves search (Logs Insights)
and graphs or alarms (the `Berth` namespace; infra/berth.yaml alarms on `Errors`).

Every distinct (metric, dimension values) is billed as one custom metric a month ($0.30), so
the dimensions are chosen for the question metrics answer fast (are reads or writes slow or
failing, right now, and alarm on it) and not for every detail: `Kind` has two values
(`KINDS`), not one per operation (some forty method x resource pairs, which made a fixed
$15.60 a month, most of a small team's bill). Which operation, which repository, who, and the
redirected bytes are fields of the same line, which Logs Insights queries (README.md); the
request count is `Latency`'s SampleCount. `berth cost` prices `billed_metrics()`.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Any

from chalicelib.oci.paths import parse_path

NAMESPACE = "Berth"
# read: GET and HEAD (a pull, its token, listings, the _berth API's reads); write: every other
# method (uploads, manifest PUT, deletes, token POST forms, the _berth API's changes).
KINDS = ("read", "write")
# One dimension set: the alarm sums `Errors` over the kinds (infra/berth.yaml), so no rollup
# over the stage alone (it would add two metrics). One stage per deployment.
DIMENSIONS = [["Stage", "Kind"]]
LATENCY = {"Name": "Latency", "Unit": "Milliseconds"}
ERRORS = {"Name": "Errors", "Unit": "Count"}
METRICS = [LATENCY, ERRORS]


def billed_metrics(stages: int = 1) -> int:
    """Custom metrics a deployment of `stages` stages can be billed for in a month (every
    one present every hour; `Errors` is billed only for the hours with a 5xx)."""
    return len(METRICS) * len(KINDS) * stages


def hourly_metrics(stages: int = 1) -> int:
    """Metrics sent every hour the registry serves requests: `Latency` by kind."""
    return len(KINDS) * stages


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


def kind(method: str) -> str:
    """`read` or `write` (`KINDS`): the `Kind` dimension of a request."""
    return "read" if method.upper() in ("GET", "HEAD") else "write"


def emf(request_kind: str, status: int, latency_ms: float) -> dict[str, Any]:
    """The EMF members of one request's log line: the `_aws` directive and its values
    (`Latency` is the request's latency; `Errors`, 1, only on a 5xx answer)."""
    failed = status >= 500
    members: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": DIMENSIONS,
                    "Metrics": METRICS if failed else [LATENCY],
                }
            ],
        },
        "Stage": stage(),
        "Kind": request_kind,
        "Latency": latency_ms,
    }
    if failed:
        members["Errors"] = 1
    return members
