"""Smoke test of the web interface's cold measurement: one round of each cold process against
a moto server in its own process, reported in the shape the table expects. Its timings are
not judged here (no timed tests); what is pinned is that a cold manifest GET imports nothing
of chalicelib.web, so the pages never weigh on the registry's cold path."""

from __future__ import annotations

import json

from bench import uicold
from bench.motoserver import MotoServer
from bench.report import render, to_json


def test_ui_cold_runs_and_the_manifest_get_does_not_import_the_pages() -> None:
    with MotoServer() as moto:
        section = uicold.run(moto, 1)

    assert section.data["manifest_imports_web"] == []
    assert section.rows[-1].verdict == "PASS"
    assert set(section.data["median_page_ms"]) == {"index", "repository"}
    assert all(value > 0 for value in section.data["median_page_ms"].values())
    assert all(len(runs) == 1 for runs in section.data["runs_ms"].values())
    document = to_json([section], quick=True, seconds=0.0)
    assert json.loads(json.dumps(document))["sections"][uicold.NAME]["status"] == "measured"
    assert uicold.TITLE in render([section])


def test_the_pages_probe_does_load_the_pages() -> None:
    """The check above is not vacuous: the same probe answering /ui reports chalicelib.web."""
    with MotoServer() as moto:
        env = uicold.seed(moto)
        _, report = uicold.probe(env, "index")
    assert "chalicelib.web.handlers" in report["web_loaded"]
