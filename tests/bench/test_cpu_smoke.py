"""Smoke test of the handler-CPU measurement: it runs in-process, names every request whose
duration `berth cost` computes from it, and its results feed the model. No timing is judged
here (CPU times depend on the machine); the model's arithmetic is pinned in tests/cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import cpu
from bench.report import to_json
from berth.cost.calls import load
from berth.cost.compute import CPU_MS


def test_cpu_times_cover_the_models_requests_and_feed_it(client: Any, tmp_path: Path) -> None:
    section = cpu.measure(client, repeat=2)
    found = section.data["cpu_ms"]
    # The token's time needs the stack's token key (`python -m bench` has it; the tests'
    # registry runs with auth off): measured there, not here.
    assert set(found) | {cpu.TOKEN_LABEL} == set(CPU_MS)
    assert all(isinstance(v, float) and v >= 0 for v in found.values())
    path = tmp_path / "results.json"
    path.write_text(json.dumps(to_json([section], quick=True, seconds=0.0)))
    assert load(path).cpu_ms == {**CPU_MS, **found}  # measured times replace built-in ones
