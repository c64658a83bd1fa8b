"""`berth cost`'s cold starts (INIT, billed for on-demand ZIP functions since August 2025),
its architecture (arm64 is 20% less per GB-second) and its reading of the deployed function's
memory and architecture from .chalice/config.json. Built-in figures (load(None)) throughout,
so a local bench/results.json cannot move the expected numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth import cli
from berth.cost.calls import load
from berth.cost.cold_start import COLD_START_MS, init_gb_seconds, init_ms, load_cold_start
from berth.cost.deployed import deployed_function
from berth.cost.model import Workload, estimate, usage_of
from berth.cost.prices import US_EAST_1

P = US_EAST_1
TABLE = load(None)
TINY_PULL = Workload(stored_gb=10, pulls=1, pushes=0, layers=1, image_mb=1024)
CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


def _row(workload: Workload, name: str) -> float:
    [row] = [i for i in estimate(workload, TABLE).items if i.name == name]
    return row.function_url


def test_init_of_a_tiny_pull_by_hand() -> None:
    # 6 invocations (ping, token, manifest HEAD + GET, 2 blob GETs), 1% start an instance:
    # 0.06 cold starts, each the measured spawn -> answer x 1769/1024 (the CPU share of 1 GB),
    # billed at 1 GB on x86_64 (the model's default architecture).
    usage = usage_of(TINY_PULL, TABLE)
    assert TABLE.cold_start_ms == COLD_START_MS
    assert usage.cold_starts == pytest.approx(0.06)
    each_ms = COLD_START_MS * 1769 / 1024
    assert init_ms(COLD_START_MS, 1024) == pytest.approx(each_ms)
    assert usage.init_gb_seconds == pytest.approx(0.06 * each_ms / 1000)
    assert _row(TINY_PULL, "Lambda INIT (cold starts)") == pytest.approx(
        0.06 * each_ms / 1000 * 0.0000166667
    )


def test_reference_workload_init_line() -> None:
    """13.18M invocations a month, 131,800 cold starts of 180 ms x 1.7275 at 1 GB arm64."""
    reference = Workload(architecture="arm64")
    assert usage_of(reference, TABLE).cold_starts == pytest.approx(131_800)
    expected = 131_800 * COLD_START_MS * 1769 / 1024 / 1000 * 0.0000133334
    assert _row(reference, "Lambda INIT (cold starts)") == pytest.approx(expected)
    assert _row(reference, "Lambda INIT (cold starts)") < 1.0
    # Twice the rate, twice the line; none without cold starts.
    doubled = Workload(architecture="arm64", cold_start_rate=0.02)
    assert _row(doubled, "Lambda INIT (cold starts)") == pytest.approx(2 * expected)
    assert _row(Workload(cold_start_rate=0.0), "Lambda INIT (cold starts)") == 0


@given(st.integers(min_value=128, max_value=1769), st.floats(min_value=1, max_value=5000))
def test_below_one_vcpu_a_cold_start_costs_the_same_gb_seconds(
    memory_mb: int, cold_ms: float
) -> None:
    """CPU-bound work takes 1769/memory longer below one vCPU, so its GB-seconds do not
    depend on the memory: less memory makes a cold start slower, not cheaper."""
    assert init_gb_seconds(1, cold_ms, memory_mb) == pytest.approx(cold_ms * 1769 / 1024 / 1000)


@given(st.integers(min_value=1769, max_value=10_240))
def test_from_one_vcpu_up_a_cold_start_takes_what_was_measured(memory_mb: int) -> None:
    assert init_ms(COLD_START_MS, memory_mb) == COLD_START_MS


def test_arm64_is_a_fifth_cheaper_per_gb_second() -> None:
    assert P.lambda_gb_second("arm64") == pytest.approx(0.8 * P.lambda_gb_second("x86_64"), 1e-4)
    assert P.lambda_gb_second("x86_64") == P.lambda_per_gb_second
    with pytest.raises(ValueError, match="architecture"):
        P.lambda_gb_second("ppc64le")
    for name in ("Lambda compute", "Lambda INIT (cold starts)", "Events (EventBridge, webhooks)"):
        arm = _row(Workload(architecture="arm64", webhooks=2), name)
        x86 = _row(Workload(architecture="x86_64", webhooks=2), name)
        assert arm < x86


def test_cold_start_comes_from_bench_results_when_measured(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    section = {"status": "measured", "data": {"median_to_answer_ms": 123.4}}
    results.write_text(
        json.dumps({"generated_at": "2026-12-05T01:00:00Z", "sections": {"cold_start": section}})
    )
    assert load_cold_start(results) == (
        123.4,
        "results.json cold_start, generated 2026-12-05T01:00:00Z",
    )
    assert load(results).cold_start_ms == 123.4
    section["status"] = "not measured"
    results.write_text(json.dumps({"sections": {"cold_start": section}}))
    assert load_cold_start(results)[0] == COLD_START_MS
    results.write_text("{not json")
    assert load_cold_start(results)[0] == COLD_START_MS
    assert load_cold_start(None)[0] == COLD_START_MS


def test_the_deployed_function_is_arm64_and_priced_as_deployed() -> None:
    config = json.loads(CONFIG.read_text())
    assert config["lambda_architecture"] == "arm64"
    for stage in ("dev", "prod"):
        deployed = deployed_function(stage, CONFIG)
        assert deployed.architecture == "arm64"
        assert deployed.memory_mb == config["stages"][stage]["lambda_memory_size"]
    # The advisory sync keeps its own memory; the architecture is every function's.
    assert config["stages"]["prod"]["lambda_functions"]["sync_advisories"]["lambda_memory_size"]


def test_the_settings_are_looked_up_as_chalice_does(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"stages": {"prod": {}}}))
    assert deployed_function("prod", path) == deployed_function("dev", path)
    assert (
        deployed_function("prod", path).memory_mb,
        deployed_function("prod", path).architecture,
    ) == (
        128,
        "x86_64",
    )
    path.write_text(
        json.dumps(
            {
                "lambda_architecture": "arm64",
                "lambda_memory_size": 512,
                "stages": {
                    "prod": {
                        "lambda_memory_size": 768,
                        "lambda_functions": {"api_handler": {"lambda_memory_size": 640}},
                    }
                },
            }
        )
    )
    assert deployed_function("prod", path).memory_mb == 640
    assert deployed_function("prod", path).architecture == "arm64"
    assert deployed_function("dev", path).memory_mb == 512


def test_berth_cost_prices_the_deployed_function(capsys: pytest.CaptureFixture[str]) -> None:
    deployed = deployed_function()
    assert cli.main(["cost", "--results", "/nonexistent/results.json"]) == 0
    out = capsys.readouterr().out
    assert f"GB-s at {deployed.memory_mb} MB {deployed.architecture}" in out
    assert "Lambda INIT (cold starts)" in out
    assert "cold starts: 1% of invocations (assumed)" in out
    assert cli.main(["cost", "--results", "/x", "--architecture", "x86_64"]) == 0
    assert "MB x86_64" in capsys.readouterr().out
