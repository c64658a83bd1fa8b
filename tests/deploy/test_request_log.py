"""One JSON line per request, carrying CloudWatch EMF metrics CloudWatch can parse."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.log import JsonFormatter
from chalicelib.metrics import KINDS, kind, operation
from chalicelib.metrics_buffer import FLUSH_SAMPLES, FLUSH_SECONDS, LatencyBuffer
from tests.api.helpers import assert_ok, digest_of, push_blob, random_bytes
from tests.faults import injected


def _requests(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("berth")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _valid_emf(line: dict[str, Any]) -> None:
    """The EMF specification's rules for one directive, and the bounded dimension values
    `berth cost` prices (chalicelib.metrics.billed_metrics)."""
    directive = line["_aws"]
    assert isinstance(directive["Timestamp"], int)
    (metrics,) = directive["CloudWatchMetrics"]
    assert metrics["Namespace"] == "Berth"
    for dimension_set in metrics["Dimensions"]:
        for key in dimension_set:
            assert isinstance(line[key], str) and line[key], key
    assert line["Kind"] in KINDS
    for metric in metrics["Metrics"]:
        value = line[metric["Name"]]
        values = value if isinstance(value, list) else [value]
        assert 1 <= len(values) <= 100, metric  # EMF takes up to 100 values of a metric
        assert all(isinstance(v, int | float) for v in values), metric
        assert metric["Unit"] in ("Milliseconds", "Count", "Bytes")


def test_a_blob_get_logs_repository_operation_and_redirected_bytes(
    client: Any, repo: str, captured: io.StringIO
) -> None:
    data = random_bytes(1234)
    digest = push_blob(client, repo, data)
    assert_ok(client.http.get(f"/v2/{repo}/blobs/{digest}"), 307)
    line = _requests(captured)[-1]
    assert line["message"] == "request"
    assert line["operation"] == "GetBlob"
    assert line["repository"] == repo
    assert line["principal"] is None
    assert line["status"] == 307
    assert line["redirected_bytes"] == 1234
    # Issue 16: the request count (Latency's SampleCount), the redirected bytes and the
    # operation are no longer billed metrics; they stay fields of the line (above). The
    # latency is the line's `latency_ms`; its metric goes out with the instance's others
    # (test_latencies_go_out_together_as_valid_emf), and the runtime's logger is not named.
    assert not {"Requests", "RedirectedBytes", "Operation"} & set(line)
    assert not {"_aws", "Latency", "Errors", "logger"} & set(line)
    assert line["latency_ms"] > 0


@pytest.fixture
def buffer(monkeypatch: pytest.MonkeyPatch) -> tuple[LatencyBuffer, list[float]]:
    from chalicelib import metrics_buffer

    now = [1_000.0]
    fresh = LatencyBuffer(clock=lambda: now[0])
    monkeypatch.setattr(metrics_buffer, "BUFFER", fresh)
    return fresh, now


def test_latencies_go_out_together_as_valid_emf(
    client: Any, repo: str, captured: io.StringIO, buffer: tuple[LatencyBuffer, list[float]]
) -> None:
    """Every request's latency, one EMF line per kind once FLUSH_SECONDS passed since the
    first one held: sampled-out reads count too."""
    _, now = buffer
    data = random_bytes(100)
    digest = push_blob(client, repo, data)  # writes
    for _ in range(3):
        assert_ok(client.http.get(f"/v2/{repo}/blobs/{digest}"), 307)
    assert not [e for e in _requests(captured) if e["message"] == "metrics"]
    now[0] += FLUSH_SECONDS
    assert_ok(client.http.get(f"/v2/{repo}/blobs/{digest}"), 307)
    lines = {e["Kind"]: e for e in _requests(captured) if e["message"] == "metrics"}
    assert set(lines) == {"read", "write"}
    assert len(lines["read"]["Latency"]) == 4
    requests = [e for e in _requests(captured) if e["message"] == "request"]
    reads = [e["latency_ms"] for e in requests if e["method"] == "GET"]
    assert lines["read"]["Latency"] == reads
    for line in lines.values():
        assert line["_aws"]["Timestamp"] == 1_000_000  # the first value's time
        _valid_emf(line)


@given(
    events=st.lists(st.tuples(st.sampled_from(["read", "write"]), st.floats(0, 20)), max_size=400)
)
def test_no_latency_is_lost_or_held_past_its_bound(events: list[tuple[str, float]]) -> None:
    now = [0.0]
    held = LatencyBuffer(clock=lambda: now[0])
    out: list[dict[str, Any]] = []
    added = 0
    for request_kind, wait in events:
        now[0] += wait
        out += held.add(request_kind, 1.0)
        added += 1
        assert all(len(line["Latency"]) <= FLUSH_SAMPLES for line in out)
    out += held.drain()
    assert sum(len(line["Latency"]) for line in out) == added


def test_a_5xx_counts_as_an_error(client: Any, repo: str, captured: io.StringIO) -> None:
    """A failed request carries its own EMF block, Latency and Errors, held back by nothing."""
    with injected(fail_at=0):
        response = client.http.get(f"/v2/{repo}/manifests/{digest_of(b'x')}")
    assert response.status_code == 503
    line = [entry for entry in _requests(captured) if entry["message"] == "request"][-1]
    assert (line["status"], line["Errors"], line["operation"]) == (503, 1, "GetManifest")
    names = [m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    assert names == ["Latency", "Errors"]
    assert line["Kind"] == "read" and line["Stage"]
    _valid_emf(line)


def test_a_4xx_is_not_an_error(client: Any, captured: io.StringIO) -> None:
    client.http.get("/v2/nothing/here/at/all/x/y")
    line = _requests(captured)[-1]
    assert line["status"] == 404 and not {"Errors", "_aws"} & set(line)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v2/", ("GetBase", None)),
        ("GET", "/v2/_catalog", ("GetCatalog", None)),
        ("PUT", "/v2/a/b/manifests/v1", ("PutManifest", "a/b")),
        ("HEAD", "/v2/a/blobs/sha256:00", ("HeadBlob", "a")),
        ("POST", "/v2/a/blobs/uploads/", ("PostUploads", "a")),
        ("PATCH", "/v2/a/blobs/uploads/0123", ("PatchUpload", "a")),
        ("GET", "/v2/a/tags/list", ("GetTags", "a")),
        ("GET", "/v2/a/referrers/sha256:00", ("GetReferrers", "a")),
        ("GET", "/v3/", ("Unknown", None)),
    ],
)
def test_operation_names(method: str, path: str, expected: tuple[str, str | None]) -> None:
    assert operation(method, path) == expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("GET", "read"),
        ("HEAD", "read"),
        ("get", "read"),
        ("PUT", "write"),
        ("POST", "write"),
        ("PATCH", "write"),
        ("DELETE", "write"),
    ],
)
def test_kinds(method: str, expected: str) -> None:
    assert kind(method) == expected
