"""Structured logs: one JSON object per line, one line per request."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.api.http import HttpRequest


ROOT = "berth"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"level": record.levelname.lower()}
        if record.name != ROOT:  # the runtime's own lines name no logger: bytes are billed
            entry["logger"] = record.name
        entry["message"] = record.getMessage()
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["traceback"] = "".join(traceback.format_exception(error))[-4000:]
        return json.dumps(entry, separators=(",", ":"), default=str)


def json_logger(name: str) -> logging.Logger:
    """A logger writing JSON lines to stderr at INFO, not propagating to the root logger."""
    log = logging.getLogger(name)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


logger = json_logger(ROOT)


def log_request(request: HttpRequest, status: int, seconds: float) -> None:
    """The request's line: who asked what of which repository, the outcome and the latency;
    and its CloudWatch metrics (chalicelib/metrics.py): a 5xx answer carries its own EMF block
    (`Latency` and `Errors`), any other latency is gathered per instance and written as one
    EMF line per kind a few times a minute (chalicelib/metrics_buffer.py). `principal` stays
    None until auth sets it. A successful read may be left out when the operator opted into
    sampling (`chalicelib.log_sampling`); errors, writes and everything else are always
    logged, and every request counts in the metrics, sampled out or not."""
    from chalicelib.log_sampling import sample_weight
    from chalicelib.metrics import emf, kind, operation
    from chalicelib.metrics_buffer import BUFFER

    latency_ms = round(seconds * 1000, 2)
    request_kind = kind(request.method)
    failed = status >= 500
    due = [] if failed else BUFFER.add(request_kind, latency_ms)
    weight = sample_weight(request.method, request.path, status, request.request_id)
    if weight > 0:
        op, repository = operation(request.method, request.path)
        fields: dict[str, Any] = {
            "request_id": request.request_id,
            "principal": request.principal,
            "method": request.method,
            "path": request.path,
            "repository": repository,
            "operation": op,
            "status": status,
            "latency_ms": latency_ms,
            "source_ip": request.source_ip,
        }
        if request.redirected_bytes is not None:
            fields["redirected_bytes"] = request.redirected_bytes
        if request.signature is not None:
            fields["signature"] = request.signature
        if weight > 1:
            fields["sampled"] = weight  # this line stands for `weight` requests like it
        if failed:
            fields.update(emf(request_kind, status, latency_ms))
        logger.info("request", extra={"fields": fields})
    for members in due:
        logger.info("metrics", extra={"fields": members})
