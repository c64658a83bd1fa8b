"""A cold function's first pull imports only what a pull needs.

A cold start is mostly imports (bench/coldstart.py; issue 16's target is < 1.5x `import
boto3`), and the pull is what a cold function answers first. This runs the cold-start probe
itself, a fresh interpreter answering one manifest GET against a moto server, and pins the
Berth modules it imported: the write side (pushes, deletes, blobs, audit, GC references,
immutability rules) stays out, and a new module on the pull path is a deliberate change here."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import coldstart
from bench.motoserver import MotoServer

REPO = Path(__file__).resolve().parents[2]

# Everything a manifest GET by tag may import of chalicelib (43 modules, December 2026).
PULL_PATH = {
    "chalicelib",
    "chalicelib.api",
    "chalicelib.api.application",
    "chalicelib.api.http",
    "chalicelib.api.locations",
    "chalicelib.api.manifests",
    "chalicelib.api.router",
    "chalicelib.api.scan_pull_check",
    "chalicelib.api.standby",
    "chalicelib.api.storage_errors",
    "chalicelib.auth",
    "chalicelib.auth.auth_settings",
    "chalicelib.aws_models",
    "chalicelib.aws_session",
    "chalicelib.cache",
    "chalicelib.cache.pull_through",
    "chalicelib.cache.rules",
    "chalicelib.cache.upstreams",
    "chalicelib.config",
    "chalicelib.events",
    "chalicelib.events.config",
    "chalicelib.log",
    "chalicelib.log_sampling",
    "chalicelib.metrics",
    "chalicelib.metrics_buffer",  # the instance's latencies, written 100 to an EMF line
    "chalicelib.oci",
    "chalicelib.oci.digest",
    "chalicelib.oci.errors",
    "chalicelib.oci.paths",
    "chalicelib.oci.reference",
    "chalicelib.signing",
    "chalicelib.signing.trust_policy",
    "chalicelib.storage",
    "chalicelib.storage.clock",
    "chalicelib.storage.errors",
    "chalicelib.storage.keys",
    "chalicelib.storage.manifest_marks",
    "chalicelib.storage.manifest_reads",
    "chalicelib.storage.models",
    "chalicelib.storage.pull_counts",
    "chalicelib.storage.pulls",
    "chalicelib.storage.table_connection",
    "chalicelib.storage.transactions",
    "chalicelib.storage.trust_policy",
}
WRITE_SIDE = {
    "chalicelib.storage.manifests",
    "chalicelib.storage.tags",
    "chalicelib.storage.blobs",
    "chalicelib.storage.audit_items",
    "chalicelib.storage.gc_refs",
    "chalicelib.storage.unlinking",
    "chalicelib.rules.immutability",
    "chalicelib.oci.manifest",
    "chalicelib.web",
    "chalicelib.scanning",
}


@pytest.fixture(scope="module")
def probe_env() -> Iterator[dict[str, str]]:
    with MotoServer() as moto:
        env = moto.app_environment(moto.create_stack(coldstart.STAGE))
        seeded = subprocess.run(
            [sys.executable, "-m", "bench.coldseed", coldstart.REPO_NAME, coldstart.TAG],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        yield env


def test_a_cold_pull_imports_only_the_pull_path(probe_env: dict[str, str]) -> None:
    answered = subprocess.run(
        [sys.executable, str(REPO / "bench" / "coldprobe.py"), coldstart.REPO_NAME, coldstart.TAG],
        env=probe_env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert answered.returncode == 0, answered.stderr[-2000:]
    report = json.loads(answered.stdout.splitlines()[0])
    assert report["status"] == 200
    imported = set(report["chalicelib_modules"])
    assert not imported & WRITE_SIDE, sorted(imported & WRITE_SIDE)
    assert imported <= PULL_PATH, f"new on the pull path: {sorted(imported - PULL_PATH)}"
