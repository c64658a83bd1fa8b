"""Smoke test of the benchmark: the AWS-call-count measurement runs in-process, its result has
the shape the report expects, and every operation with a target meets it (call counts do not
depend on the machine, so a FAIL here is a regression; tests/api/test_pull_calls.py pins the
pull path's exact calls)."""

from __future__ import annotations

import json
from typing import Any

from bench import calls
from bench.report import render, to_json


def test_call_counts_have_the_expected_structure_and_meet_their_targets(client: Any) -> None:
    section = calls.measure(client)

    assert section.name == calls.NAME
    assert section.measured
    labels = [row.metric for row in section.rows]
    for wanted in (
        "manifest GET by tag",
        "manifest HEAD by tag",
        "manifest GET by digest",
        "manifest HEAD by digest",
        "blob GET (307)",
        "blob HEAD",
        "tags list page (n=2 of 3)",
        "monolithic blob push",
    ):
        assert wanted in labels
    for row in section.rows:
        assert row.verdict == ("PASS" if row.target != "(no target)" else ""), row
        assert row.value

    operations = section.data["operations"]
    assert [op["operation"] for op in operations] == labels
    for op in operations:
        assert op["status"] == op["expected_status"]
        for run in ("steady", "first"):
            summary = op[run]
            assert set(summary) >= {"calls", "dynamodb", "s3", "presigned_locally", "http_sends"}
            assert all(isinstance(c, str) and ":" in c for c in summary["calls"])
            for key in ("calls", "read_calls", "read_units", "write_calls", "write_units"):
                assert isinstance(summary["dynamodb"][key], int)
            assert isinstance(summary["s3"]["calls"], int)
        # every operation here touches DynamoDB: an empty count means the hooks saw nothing
        assert op["steady"]["dynamodb"]["calls"] >= 1
        assert op["met"] is (True if op["target"] is not None else None), op

    document = to_json([section], quick=True, seconds=0.0)
    assert json.loads(json.dumps(document))["sections"][calls.NAME]["status"] == "measured"
    assert calls.TITLE in render([section])
