"""Measurement 2: cold start. A fresh interpreter imports the app and answers one manifest GET
through the Lambda handler, against a moto server in another process (so moto's import and
work are not counted); beside it, `python -c "import boto3"` in the same run.

Judged: the time from spawning the child to its answer (its first stdout line), as a Lambda
cold start ends when the first answer is out; the child also reports its start-up, import
and first-request times, and its exit is reported apart. Runs are interleaved (probe,
baseline, probe, ...) after one discarded warm-up of each (page cache). chalicelib's modules
are compiled first, as `berth deploy` ships them (berth/deploy/bytecode.py): boto3 is loaded
from compiled bytecode, and with PYTHONDONTWRITEBYTECODE set the probe would otherwise
compile the app on every run, which a deployed function no longer does.
"""

from __future__ import annotations

import compileall
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench.motoserver import MotoServer
from bench.report import Row, Section, verdict
from bench.stats import median, ms, ratio
from bench.workdir import BENCH, REPO, work_dir

NAME = "cold_start"
TITLE = "Cold start: fresh process, import app + one manifest GET (moto server in another process)"
STAGE = "cold"
REPO_NAME = "bench/cold"
TAG = "latest"
TARGET_MS = 300.0
TARGET_RATIO = 1.5
IMPORTTIME_TOP = 40


@dataclass(frozen=True, slots=True)
class Spawned:
    """A child process timed from the parent: to its first stdout line, and to its exit."""

    to_line_s: float
    wall_s: float
    line: str
    spawned_epoch: float

    @property
    def exit_s(self) -> float:
        return self.wall_s - self.to_line_s


@dataclass(frozen=True, slots=True)
class ProbeRun:
    spawned: Spawned
    import_s: float
    request_s: float
    warm_request_s: float  # 0 unless the probe was asked to GET twice
    startup_s: float  # from spawning the process to the probe's first line of code


def _spawned_data(spawned: Spawned) -> dict[str, float]:
    return {"to_line_ms": ms(spawned.to_line_s), "wall_ms": ms(spawned.wall_s)}


def _probe_command(*flags: str, again: bool = False) -> list[str]:
    extra = ["again"] if again else []
    return [sys.executable, *flags, str(BENCH / "coldprobe.py"), REPO_NAME, TAG, *extra]


def _spawn_timed(command: list[str], env: dict[str, str]) -> tuple[Spawned, str]:
    """Run `command`; its timings and its stderr."""
    spawned_epoch = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    to_line = time.perf_counter() - started
    rest, errors = process.communicate(timeout=120)
    wall = time.perf_counter() - started
    if process.returncode != 0 or not line.strip():
        raise RuntimeError(f"{command[1:]} failed: {(line + rest + errors)[-2000:]}")
    return Spawned(to_line, wall, line, spawned_epoch), errors


def _probe(env: dict[str, str], digest: str, *, again: bool = False) -> ProbeRun:
    spawned, _ = _spawn_timed(_probe_command(again=again), env)
    report: dict[str, Any] = json.loads(spawned.line)
    if report["status"] != 200 or report["warm_status"] != 200 or report["digest"] != digest:
        raise RuntimeError(f"cold-start probe got {report} (expected 200 and {digest})")
    return ProbeRun(
        spawned,
        import_s=report["import_s"],
        request_s=report["request_s"],
        warm_request_s=report["warm_request_s"] if again else 0.0,
        startup_s=report["started_epoch"] - spawned.spawned_epoch,
    )


def _baseline(env: dict[str, str], code: str = "import boto3") -> Spawned:
    """`python -c CODE`, printing a line when done so it is timed like the probe."""
    spawned, _ = _spawn_timed([sys.executable, "-c", f"{code}; print('ok', flush=True)"], env)
    return spawned


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def _importtime_report(env: dict[str, str]) -> str:
    """`python -X importtime` of the probe (app import and the first request's lazy imports),
    as the top offenders by cumulative and by self time and a sum per top-level package."""
    _, stderr = _spawn_timed(_probe_command("-X", "importtime"), env)
    entries: list[tuple[int, int, int, str]] = []  # self us, cumulative us, depth, module
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            depth = (len(match.group(3)) - 1) // 2
            entries.append((int(match.group(1)), int(match.group(2)), depth, match.group(4)))
    per_package: dict[str, int] = defaultdict(int)
    for own, _, _, module in entries:
        per_package[module.split(".")[0]] += own
    total = sum(own for own, _, _, _ in entries)
    lines = [
        "python -X importtime of bench/coldprobe.py: `import app` plus the lazy imports of one",
        f"manifest GET. {len(entries)} modules, {total / 1000:.1f} ms of import time in all.",
        "(Times from one run; a warm page cache and compiled bytecode.)",
        "",
        "Self time per top-level package (ms):",
    ]
    for package, own in sorted(per_package.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"  {own / 1000:8.1f}  {package}")
    lines += ["", f"Top {IMPORTTIME_TOP} by cumulative time (ms): cumulative  self  module"]
    for own, cumulative, depth, module in sorted(entries, key=lambda e: -e[1])[:IMPORTTIME_TOP]:
        lines.append(f"  {cumulative / 1000:8.1f}  {own / 1000:6.1f}  {'  ' * depth}{module}")
    lines += ["", f"Top {IMPORTTIME_TOP} by self time (ms): self  module"]
    for own, _, _, module in sorted(entries, key=lambda e: -e[0])[:IMPORTTIME_TOP]:
        lines.append(f"  {own / 1000:6.1f}  {module}")
    path = work_dir() / "importtime.txt"
    path.write_text("\n".join(lines) + "\n")
    (work_dir() / "importtime.raw.txt").write_text(stderr)
    return str(path.relative_to(REPO))


def compile_app() -> None:
    """chalicelib's bytecode in the checkout's __pycache__ (checked against the sources' times,
    as Python's own caching would write it); app.py stays source, as Chalice bundles it."""
    if not compileall.compile_dir(REPO / "chalicelib", quiet=2):
        raise RuntimeError("chalicelib does not compile")


def run(moto: MotoServer, repeats: int) -> Section:
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
        raise RuntimeError(f"seeding the cold-start manifest failed: {seeded.stderr[-2000:]}")
    digest = seeded.stdout.strip().splitlines()[-1]

    compile_app()
    _probe(env, digest)  # warm-up: the page cache, not counted
    _baseline(env)
    probes: list[ProbeRun] = []
    baselines: list[Spawned] = []
    bare: list[Spawned] = []
    for _ in range(repeats):
        probes.append(_probe(env, digest))
        baselines.append(_baseline(env))
        bare.append(_baseline(env, "pass"))
    contrast = _probe(env, digest, again=True)  # cold then warm GET in one process
    importtime_file = _importtime_report(env)

    answer = median([p.spawned.to_line_s for p in probes])
    boto3 = median([b.to_line_s for b in baselines])
    wall = median([p.spawned.wall_s for p in probes])
    boto3_wall = median([b.wall_s for b in baselines])
    met = answer * 1000 < TARGET_MS and answer < TARGET_RATIO * boto3
    section = Section(NAME, TITLE)
    section.rows = [
        Row(
            f"spawn -> answer of 1 manifest GET (median of {repeats})",
            f"{ms(answer)} ms",
            baseline=f"{ms(boto3)} ms (import boto3)",
            ratio=f"{ratio(answer, boto3)}x",
            target=f"< {TARGET_MS:.0f} ms and < {TARGET_RATIO}x baseline",
            verdict=verdict(met),
        ),
        Row(
            "  inside: interpreter start-up to the probe's 1st line",
            f"{ms(median([p.startup_s for p in probes]))} ms",
            baseline=f"{ms(median([b.to_line_s for b in bare]))} ms (python -c pass)",
        ),
        Row("  inside: import app", f"{ms(median([p.import_s for p in probes]))} ms"),
        Row("  inside: first manifest GET", f"{ms(median([p.request_s for p in probes]))} ms"),
        Row(
            "  contrast: the same GET again, warm process",
            f"{ms(contrast.warm_request_s)} ms",
            baseline=f"{ms(contrast.request_s)} ms (its first GET)",
            target="(one extra run)",
        ),
        Row(
            "whole process, spawn -> exit (median)",
            f"{ms(wall)} ms",
            baseline=f"{ms(boto3_wall)} ms (import boto3)",
            ratio=f"{ratio(wall, boto3_wall)}x",
            target="(reported)",
        ),
        Row(
            "  of which interpreter exit after the answer",
            f"{ms(median([p.spawned.exit_s for p in probes]))} ms",
            baseline=f"{ms(median([b.exit_s for b in baselines]))} ms (import boto3)",
        ),
    ]
    section.notes.append(
        "judged: spawn to the answer (a Lambda cold start ends when the first answer is out); "
        "the baseline prints a line once boto3 is imported and is timed the same way"
    )
    section.notes.append("the app's modules run from compiled bytecode, as berth deploy ships them")
    section.notes.append(f"import-time offenders: {importtime_file}")
    section.data = {
        "repeats": repeats,
        "probe_runs": [
            {
                "to_answer_ms": ms(p.spawned.to_line_s),
                "wall_ms": ms(p.spawned.wall_s),
                "startup_ms": ms(p.startup_s),
                "import_ms": ms(p.import_s),
                "request_ms": ms(p.request_s),
                "exit_ms": ms(p.spawned.exit_s),
            }
            for p in probes
        ],
        "contrast_run": {
            "first_request_ms": ms(contrast.request_s),
            "second_request_ms": ms(contrast.warm_request_s),
        },
        "boto3_runs": [_spawned_data(b) for b in baselines],
        "python_pass_runs": [_spawned_data(b) for b in bare],
        "median_to_answer_ms": ms(answer),
        "median_boto3_ms": ms(boto3),
        "ratio": ratio(answer, boto3),
        "median_wall_ms": ms(wall),
        "median_boto3_wall_ms": ms(boto3_wall),
        "target_ms": TARGET_MS,
        "target_ratio": TARGET_RATIO,
        "met": met,
        "importtime_file": importtime_file,
        "python": sys.executable,
    }
    return section
