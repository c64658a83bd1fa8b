"""Where the benchmark writes: `bench/work/` (gitignored) and `bench/results.json`."""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"
RESULTS = BENCH / "results.json"
REPO = BENCH.parent


def work_dir(*parts: str) -> Path:
    path = WORK.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_path(name: str) -> Path:
    return work_dir("logs") / name
