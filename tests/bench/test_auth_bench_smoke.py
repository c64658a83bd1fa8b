"""Smoke test of the auth measurement: both parts run (briefly) and report in the shape the
table expects; the zero-added-calls target is a test of its own (tests/auth), not this."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import authbench
from bench.report import Section, render, to_json


def test_auth_calls_part_counts_calls(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every in-process request comes from 127.0.0.1, and other tests of this worker may have
    # spent that address's failed-login allowance this window: this login must not be refused.
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME", "1000000")
    found = authbench.measure_calls(client)

    assert found["calls_per_request_auth_off"] >= 1  # the manifest read itself
    assert set(found["added_per_request"]) == {"bearer", "basic_cached"}
    assert all(isinstance(v, float) for v in found["added_per_request"].values())
    # Tokens are signed with a key derived from KMS once per process (issue 16): no Sign.
    assert "kms:Sign" not in found["token_request_calls"]
    section = Section(authbench.NAME, authbench.TITLE)
    authbench.calls_rows(section, found)
    assert [row.verdict for row in section.rows] == ["PASS", "PASS"]


def test_auth_rps_part_runs_against_two_servers() -> None:
    with authbench._servers() as (off, on):
        section = authbench.measure_rps(off, on, connections=2, seconds=0.5)

    rps = section.data["requests_per_second"]
    assert rps["auth_on"] > 0 and rps["auth_off"] > 0
    assert rps["errors"] == {"auth_on": 0, "auth_off": 0}
    assert section.rows[0].verdict in ("PASS", "FAIL")
    document = to_json([section], quick=True, seconds=0.0)
    assert json.loads(json.dumps(document))["sections"][authbench.NAME]["status"] == "measured"
    assert authbench.TITLE in render([section])
