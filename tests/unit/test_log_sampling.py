"""Opt-in sampling of successful reads (chalicelib/log_sampling.py): errors, writes and the
registry's own API are always logged; a kept read line says how many requests it stands for;
the choice is a pure function of the request id (no random state)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.http import HttpRequest
from chalicelib.log import JsonFormatter, log_request
from chalicelib.log_sampling import read_sampling, sample_weight

ids = st.text(min_size=1, max_size=40)
BLOB = "/v2/a/blobs/sha256:00"
reads = st.sampled_from(
    [("GET", BLOB), ("HEAD", BLOB), ("GET", "/v2/a/manifests/v1"), ("GET", "/v2/a/tags/list")]
)
never = st.sampled_from(
    [
        ("PUT", "/v2/a/manifests/v1"),
        ("PATCH", "/v2/a/blobs/uploads/x"),
        ("GET", "/v2/a/blobs/uploads/x"),
        ("GET", "/token"),
        ("GET", "/v2/_berth/repositories"),
        ("DELETE", "/v2/a/manifests/sha256:00"),
    ]
)


@given(st.one_of(reads, never), st.integers(400, 599), ids, st.integers(1, 1000))
def test_errors_are_never_sampled(
    request: tuple[str, str], status: int, request_id: str, every: int
) -> None:
    assert sample_weight(*request, status, request_id, every) == 1


@given(never, st.integers(100, 399), ids, st.integers(1, 1000))
def test_only_pull_reads_are_sampled(
    request: tuple[str, str], status: int, request_id: str, every: int
) -> None:
    assert sample_weight(*request, status, request_id, every) == 1


@given(reads, st.integers(100, 399), ids, st.integers(2, 1000))
def test_a_read_is_kept_with_its_weight_or_left_out(
    request: tuple[str, str], status: int, request_id: str, every: int
) -> None:
    weight = sample_weight(*request, status, request_id, every)
    assert weight in (0, every)
    assert sample_weight(*request, status, request_id, every) == weight  # deterministic
    assert sample_weight(*request, status, request_id, 1) == 1  # off: every line


def test_the_kept_share_is_one_in_n() -> None:
    kept = sum(sample_weight("GET", BLOB, 307, f"req-{i:06d}", 10) == 10 for i in range(20_000))
    assert 1_800 <= kept <= 2_200


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    from chalicelib import metrics_buffer

    monkeypatch.setenv("BERTH_LOG_SAMPLE_READS", "4")
    # Latencies of this test only, written every 100 (a clock that never moves).
    monkeypatch.setattr(metrics_buffer, "BUFFER", metrics_buffer.LatencyBuffer(lambda: 0.0))
    read_sampling.cache_clear()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("berth")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        monkeypatch.delenv("BERTH_LOG_SAMPLE_READS")
        read_sampling.cache_clear()


def _get(request_id: str, path: str = "/v2/a/blobs/sha256:00") -> HttpRequest:
    return HttpRequest("GET", path, {}, {}, b"", request_id=request_id)


def test_sampled_request_lines_carry_their_weight(lines: io.StringIO) -> None:
    for i in range(200):
        log_request(_get(f"r{i}"), 307, 0.01)
    log_request(_get("failed"), 503, 0.01)
    log_request(HttpRequest("PUT", "/v2/a/manifests/v1", {}, {}, b"", request_id="w"), 201, 0.01)
    written = [json.loads(line) for line in lines.getvalue().splitlines()]
    logged = [entry for entry in written if entry["message"] == "request"]
    # The metrics count every read, logged or not: 200 latencies in two lines of 100.
    metrics = [entry for entry in written if entry["message"] == "metrics"]
    assert sum(len(entry["Latency"]) for entry in metrics if entry["Kind"] == "read") == 200
    reads = [entry for entry in logged if entry["status"] == 307]
    assert 0 < len(reads) < 200
    assert all(entry["sampled"] == 4 for entry in reads)
    assert [entry["request_id"] for entry in logged if entry["status"] != 307] == ["failed", "w"]
    assert all("sampled" not in entry for entry in logged if entry["status"] != 307)
