"""`/v2/_berth/cache`: rules are made, listed, read and removed by registry admins, audited,
and bad input gets a clear 400; credentials are only ever references."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.audit import store
from chalicelib.storage import clock
from tests.api.helpers import assert_error, assert_ok, json_of
from tests.cache.conftest import add_rule


def test_rules_round_trip_and_are_audited(client: Any) -> None:
    response = add_rule(
        client, "hub/", "docker.io", ttlSeconds=600,
        credentials={"ssm": "/berth/dev/cache/hub"},
    )  # fmt: skip
    assert_ok(response, 201)
    rule = json_of(response)
    assert rule["upstream"] == "https://registry-1.docker.io"
    assert rule["ttlSeconds"] == 600
    assert rule["credentials"] == {"ssm": "/berth/dev/cache/hub"}
    assert_ok(add_rule(client, "ghcr/", "https://ghcr.io"), 201)
    listed = json_of(client.http.get("/v2/_berth/cache"))["rules"]
    # Other tests in this process may hold rules of their own (other prefixes).
    assert [r["prefix"] for r in listed if r["prefix"] in ("ghcr/", "hub/")] == ["ghcr/", "hub/"]
    assert json_of(client.http.get("/v2/_berth/cache/hub"))["prefix"] == "hub/"
    assert_error(add_rule(client, "hub/", "quay.io"), 400, "UNSUPPORTED")  # one per prefix
    assert_ok(client.http.delete("/v2/_berth/cache/hub"), 200)
    assert_error(client.http.get("/v2/_berth/cache/hub"), 404, "NAME_UNKNOWN")
    assert_ok(client.http.delete("/v2/_berth/cache/ghcr"), 200)
    events, _ = store.query_registry(limit=500, today=clock.now().date())
    actions = [e.action for e in events if e.detail.get("prefix") in ("hub/", "ghcr/")]
    assert actions.count("cache.add") == 2 and actions.count("cache.remove") == 2


def test_bad_rules_are_refused_clearly(client: Any) -> None:
    bad: list[dict[str, Any]] = [
        {"prefix": "hub", "upstream": "docker.io"},
        {"prefix": "hub/", "upstream": "https://ghcr.io/some/path"},
        {"prefix": "hub/", "upstream": "docker.io", "ttlSeconds": -1},
        {"prefix": "hub/", "upstream": "docker.io", "ttlSeconds": "1h"},
        {"prefix": "hub/", "upstream": "docker.io", "password": "hunter2"},
        {"prefix": "hub/", "upstream": "docker.io", "credentials": {"password": "x"}},
        {"prefix": "hub/", "upstream": "docker.io", "credentials": {"ssm": "/elsewhere/x"}},
    ]
    for document in bad:
        response = client.http.post(
            "/v2/_berth/cache",
            headers={"content-type": "application/json"},
            body=json.dumps(document),
        )
        assert_error(response, 400, "UNSUPPORTED")
    response = client.http.post(
        "/v2/_berth/cache", headers={"content-type": "application/json"}, body=b"{"
    )
    assert response.status_code == 400
    prefixes = [r["prefix"] for r in json_of(client.http.get("/v2/_berth/cache"))["rules"]]
    assert "hub/" not in prefixes
