"""One JSON line per request, carrying CloudWatch EMF metrics CloudWatch can parse."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.log import JsonFormatter
from chalicelib.metrics import KINDS, kind, operation
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
        assert isinstance(line[metric["Name"]], int | float), metric
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
    # operation are no longer billed metrics; they stay fields of the line (above).
    assert line["Kind"] == "read"
    assert not {"Requests", "RedirectedBytes", "Operation"} & set(line)
    # Errors is declared and sent only on a 5xx (billed by the hours it has data); the
    # latency is the metric's member only, and the runtime's own logger is not named.
    assert "Errors" not in line
    assert [m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["Latency"]
    assert "latency_ms" not in line and "logger" not in line
    assert line["Latency"] > 0
    assert line["Stage"]
    _valid_emf(line)


def test_a_5xx_counts_as_an_error(client: Any, repo: str, captured: io.StringIO) -> None:
    with injected(fail_at=0):
        response = client.http.get(f"/v2/{repo}/manifests/{digest_of(b'x')}")
    assert response.status_code == 503
    line = [entry for entry in _requests(captured) if entry["message"] == "request"][-1]
    assert (line["status"], line["Errors"], line["operation"]) == (503, 1, "GetManifest")
    names = [m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    assert names == ["Latency", "Errors"]
    assert line["Kind"] == "read"
    _valid_emf(line)


def test_a_4xx_is_not_an_error(client: Any, captured: io.StringIO) -> None:
    client.http.get("/v2/nothing/here/at/all/x/y")
    line = _requests(captured)[-1]
    assert line["status"] == 404 and "Errors" not in line
    _valid_emf(line)


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
