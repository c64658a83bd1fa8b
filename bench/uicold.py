"""Measurement: the web interface on a cold function. A fresh interpreter imports the app and
answers one page (`/ui`, then a repository page) through the Lambda handler, against a moto
server in another process, timed from spawn to its answer exactly as bench/coldstart.py times
the cold manifest GET; in the same run, interleaved, the cold manifest GET itself and
`python -c "import boto3"` as baselines, so the ratios hold whatever the machine's load.

Also checked on every run: the cold manifest GET does not import chalicelib.web (the pages
must not weigh on the registry's cold path; tests/bench/test_ui_cold_smoke.py pins it)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.coldstart import REPO_NAME, TAG, Spawned, _baseline, _spawn_timed, compile_app
from bench.motoserver import MotoServer
from bench.report import Row, Section, verdict
from bench.stats import median, ms, ratio
from bench.workdir import BENCH, REPO

NAME = "ui_cold"
TITLE = "Web interface on a cold function: fresh process, import app + one page (moto server)"
STAGE = "uicold"
TARGET_RATIO = 1.5  # a cold page within 1.5x the cold manifest GET
PAGES = ("index", "repository")


def probe(env: dict[str, str], what: str) -> tuple[Spawned, dict[str, Any]]:
    """One fresh process answering `what` (`manifest`, `index`, `repository`)."""
    command = [sys.executable, str(BENCH / "uiprobe.py"), what, REPO_NAME, TAG]
    spawned, _ = _spawn_timed(command, env)
    report: dict[str, Any] = json.loads(spawned.line)
    if report["status"] != 200:
        raise RuntimeError(f"{what} probe got {report}")
    if what == "index" and not report["mentions_repo"]:
        raise RuntimeError(f"/ui does not list {REPO_NAME}: {report}")
    if what == "repository" and not report["mentions_tag"]:
        raise RuntimeError(f"the repository page does not list {TAG}: {report}")
    return spawned, report


def seed(moto: MotoServer) -> dict[str, str]:
    env = moto.app_environment(moto.create_stack(STAGE))
    seeded = subprocess.run(
        [sys.executable, "-m", "bench.coldseed", REPO_NAME, TAG],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding the cold page's repository failed: {seeded.stderr[-2000:]}")
    return env


def run(moto: MotoServer, repeats: int) -> Section:
    env = seed(moto)
    compile_app()
    for what in ("manifest", *PAGES):  # warm-up: the page cache, not counted
        probe(env, what)
    _baseline(env)
    runs: dict[str, list[Spawned]] = {what: [] for what in ("manifest", *PAGES)}
    inside: dict[str, list[dict[str, Any]]] = {what: [] for what in runs}
    boto3: list[Spawned] = []
    for _ in range(repeats):
        for what in runs:
            spawned, report = probe(env, what)
            runs[what].append(spawned)
            inside[what].append(report)
        boto3.append(_baseline(env))
    manifest_loads_web = sorted({m for r in inside["manifest"] for m in r["web_loaded"]})

    manifest = median([s.to_line_s for s in runs["manifest"]])
    baseline = median([s.to_line_s for s in boto3])
    section = Section(NAME, TITLE)
    section.rows.append(
        Row(
            f"spawn -> answer of 1 manifest GET (median of {repeats})",
            f"{ms(manifest)} ms",
            baseline=f"{ms(baseline)} ms (import boto3)",
            ratio=f"{ratio(manifest, baseline)}x",
            target="(the baseline of the pages)",
        )
    )
    medians: dict[str, float] = {}
    for what, label in (("index", "/ui"), ("repository", f"/ui/repository?name={REPO_NAME}")):
        answer = medians[what] = median([s.to_line_s for s in runs[what]])
        section.rows.append(
            Row(
                f"spawn -> answer of {label} (median of {repeats})",
                f"{ms(answer)} ms",
                baseline=f"{ms(manifest)} ms (cold manifest GET)",
                ratio=f"{ratio(answer, manifest)}x ({ratio(answer, baseline)}x import boto3)",
                target=f"< {TARGET_RATIO}x the manifest GET",
                verdict=verdict(answer < TARGET_RATIO * manifest),
            )
        )
        section.rows.append(
            Row(
                "  inside: import app / the page",
                f"{ms(median([r['import_s'] for r in inside[what]]))} ms / "
                f"{ms(median([r['request_s'] for r in inside[what]]))} ms",
            )
        )
    section.rows.append(
        Row(
            "chalicelib.web modules a cold manifest GET imports",
            str(len(manifest_loads_web)),
            target="0",
            verdict=verdict(not manifest_loads_web),
        )
    )
    section.notes.append(
        "timed as cold_start times its probe: spawn to the first stdout line, interleaved with "
        "the baselines, after one discarded warm-up of each; the app runs from compiled bytecode"
    )
    section.data = {
        "repeats": repeats,
        "median_manifest_ms": ms(manifest),
        "median_boto3_ms": ms(baseline),
        "median_page_ms": {what: ms(value) for what, value in medians.items()},
        "ratio_to_manifest": {what: ratio(value, manifest) for what, value in medians.items()},
        "ratio_to_boto3": {what: ratio(value, baseline) for what, value in medians.items()},
        "runs_ms": {what: [ms(s.to_line_s) for s in spawned] for what, spawned in runs.items()},
        "boto3_runs_ms": [ms(s.to_line_s) for s in boto3],
        "manifest_imports_web": manifest_loads_web,
        "target_ratio": TARGET_RATIO,
    }
    return section
