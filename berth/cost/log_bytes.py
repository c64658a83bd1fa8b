"""Bytes CloudWatch Logs ingests per request, measured from the code that writes them.

`berth cost` does not take the request line's size on trust: it formats the line of a
reference request (a blob GET redirected to S3, the most frequent request of a pull, with a
principal, a real digest and a Lambda request id) with the runtime's own `log_request` and
JSON formatter, and counts its bytes. What Lambda adds around it is not Berth's code, so it is
an assumption, set by the deploy's LoggingConfig (berth/deploy/log_config.py).
"""

from __future__ import annotations

import io
import logging
import os

# Text format (Lambda's default): START, END and REPORT, about 300 bytes per invocation.
TEXT_FORMAT_PLATFORM_BYTES = 300
# JSON format with system logs at WARN (what `berth deploy` sets): no platform lines; Lambda
# may add a `timestamp` member to a JSON line that has none (assumed ~40 bytes).
JSON_WARN_PLATFORM_BYTES = 40
REFERENCE_PATH = "/v2/team/app/blobs/sha256:" + "0123456789abcdef" * 4
REFERENCE_REQUEST_ID = "c0ffee00-1234-4abc-8def-0123456789ab"  # Lambda's are UUIDs


def metrics_bytes_per_request() -> float:
    """The share of one request in the EMF line its latency is written in (one line per
    `FLUSH_SAMPLES` requests of a kind, chalicelib/metrics_buffer.py), formatted by the runtime
    with reference latencies, Lambda's JSON framing included."""
    from chalicelib.log import JsonFormatter
    from chalicelib.metrics_buffer import FLUSH_SAMPLES, LatencyBuffer

    buffer = LatencyBuffer(clock=lambda: 1_796_000_000.0)
    lines: list[dict[str, object]] = []
    for n in range(FLUSH_SAMPLES):
        lines += buffer.add("read", round(5 + (n * 7.31) % 40, 2))  # 5-45 ms, two decimals
    if len(lines) != 1:
        raise RuntimeError("the reference latencies did not make exactly one metrics line")
    record = logging.LogRecord("berth", logging.INFO, __file__, 0, "metrics", None, None)
    record.fields = lines[0]
    size = len(JsonFormatter().format(record).encode("utf-8")) + 1 + JSON_WARN_PLATFORM_BYTES
    return size / FLUSH_SAMPLES


def request_line_bytes() -> int:
    """The bytes (newline included) of the reference request's log line, as the runtime
    writes it now, sampling off."""
    from chalicelib import metrics_buffer
    from chalicelib.api.http import HttpRequest
    from chalicelib.log import JsonFormatter, log_request
    from chalicelib.log_sampling import read_sampling

    sampling = os.environ.pop("BERTH_LOG_SAMPLE_READS", None)
    read_sampling.cache_clear()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("berth")
    saved = logger.handlers[:]
    logger.handlers = [handler]  # only this handler: the line is measured, not printed
    held = metrics_buffer.BUFFER
    # A buffer of its own: the process's may be due (a metrics line besides the request's),
    # and the reference latency must not join the process's real ones.
    metrics_buffer.BUFFER = metrics_buffer.LatencyBuffer()
    try:
        request = HttpRequest(
            "GET",
            REFERENCE_PATH,
            {},
            {},
            b"",
            request_id=REFERENCE_REQUEST_ID,
            source_ip="203.0.113.9",
            principal="robot$ci",
            redirected_bytes=31_457_280,
        )
        log_request(request, 307, 0.0124)
    finally:
        metrics_buffer.BUFFER = held
        logger.handlers = saved
        if sampling is not None:
            os.environ["BERTH_LOG_SAMPLE_READS"] = sampling
        read_sampling.cache_clear()
    lines = stream.getvalue().splitlines()
    if len(lines) != 1:
        raise RuntimeError("the reference request did not log exactly one line")
    return len(lines[0].encode("utf-8")) + 1
