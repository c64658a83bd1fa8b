"""Measurement: the AWS calls and CPU time of one scan on push, the input of `berth cost`'s
scanning lines (berth/cost/background.py).

`python -m bench.scancalls [--mib N] [--os-packages N] [--language-packages N]` runs in its own
process (chalicelib's settings are per process), on moto in-process: a generated 10-layer image
(bench/scanimage.py) is pushed and scanned once, so its layers are stored as a first scan
leaves them; then the image is rebuilt with a new 12 MiB top layer (what the reference
workload's push changes), pushed and scanned again while every AWS call is recorded and the
CPU time outside moto is measured (per answering thread), and the same image is rescanned
from its stored inventory twice: with the same findings, then after an advisory that adds
one. The advisory database holds a few advisories for
packages of the image, so matching looks up every distinct package as it would in AWS."""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import Row, Section

NAME = "scan_calls"
TITLE = "AWS calls and CPU time of a scan on push and a rescan (moto in-process)"
REBUILT_MIB = 12


def _advisories(names: list[str], prefix: str = "BENCH") -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}-{i}",
            "modified": "2026-12-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "Debian:12", "name": name},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99"}]}
                    ],
                }
            ],
        }
        for i, name in enumerate(names)
    ]


class _MotoClock:
    """CPU seconds moto spends answering, per answering thread (the scan's lookups run eight
    at a time, so the process clock would count moto's time once per thread running)."""

    def __init__(self) -> None:
        self.seconds = 0.0


@contextmanager
def moto_timed() -> Iterator[_MotoClock]:
    from moto.core.botocore_stubber import BotocoreStubber

    clock = _MotoClock()
    lock = threading.Lock()
    original = BotocoreStubber.__call__

    @functools.wraps(original)
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent = time.thread_time() - start
            with lock:
                clock.seconds += spent

    setattr(BotocoreStubber, "__call__", timed)  # noqa: B010 (a dunder on the class)
    try:
        yield clock
    finally:
        setattr(BotocoreStubber, "__call__", original)  # noqa: B010


def _observed(recorder: Any, clock: Any, work: Any) -> dict[str, Any]:
    moto_before = clock.seconds
    cpu_before = time.process_time()
    started = time.perf_counter()
    with recorder.window() as tally:
        report = work()
    cpu = time.process_time() - cpu_before - (clock.seconds - moto_before)
    operations: dict[str, int] = {}
    for call in tally.calls:
        key = f"{call.service}:{call.operation}"
        operations[key] = operations.get(key, 0) + 1
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_ms": round(cpu * 1000, 1),
        "operations": dict(sorted(operations.items())),
        "dynamodb_read_units": tally.dynamodb_read_units,
        "dynamodb_write_units": tally.dynamodb_write_units,
        "transaction_items": sum(
            c.units for c in tally.calls if c.operation == "TransactWriteItems"
        ),
        "packages": len(report.get("packages") or []),
        "layers_read": report.get("layersRead"),
        "layers_reused": report.get("layersReused"),
        "bytes_read": report.get("bytesRead"),
    }


def measure(mib: int, os_packages: int, language_packages: int) -> dict[str, Any]:
    from bench.awscalls import recording
    from bench.calls import in_process_registry
    from bench.scanbench import _push
    from bench.scanimage import app_layer, build
    from bench.workdir import work_dir

    with in_process_registry() as client, tempfile.TemporaryDirectory(dir=work_dir()) as tmp:
        from chalicelib.scanner.run import scan_image
        from chalicelib.scanning.advisory_index import index_advisories
        from chalicelib.storage import vulndb
        from chalicelib.storage.advisory_cache import CACHE

        layers = build(Path(tmp), mib, os_packages, language_packages)
        repo = "bench/scan-calls"
        first = _push(client, repo, layers)
        vulndb.merge(index_advisories(_advisories([f"benchsrc{i}" for i in range(0, 50, 5)])))
        scan_image(repo, first)  # the base image, as an earlier push left it scanned
        rebuilds = []
        for n in range(2):
            rebuilt = [*layers[:-1], app_layer(Path(tmp), REBUILT_MIB, 20)]
            rebuilds.append(_push(client, repo, rebuilt, f"v{n + 2}"))
        with recording() as recorder, moto_timed() as clock:
            CACHE.clear()  # a new function instance: no advisory lookup kept
            cold = _observed(recorder, clock, lambda: scan_image(repo, rebuilds[0]))
            warm = _observed(recorder, clock, lambda: scan_image(repo, rebuilds[1]))
            rescan = _observed(
                recorder, clock, lambda: scan_image(repo, rebuilds[1], reuse_inventory=True)
            )
            vulndb.merge(index_advisories(_advisories(["benchsrc1"], "BENCH-NEW")))
            changed = _observed(
                recorder, clock, lambda: scan_image(repo, rebuilds[1], reuse_inventory=True)
            )
        return {
            "image": {"layers": len(layers), "mib": mib, "new_layer_mib": REBUILT_MIB},
            "on_push_cold": cold,
            "on_push": warm,
            "rescan": rescan,
            "rescan_changed": changed,
        }


def _rows(data: dict[str, Any]) -> list[Row]:
    rows = []
    for label, key in (
        ("scan on push, new instance", "on_push_cold"),
        ("scan on push, warm instance", "on_push"),
        ("rescan, same findings", "rescan"),
        ("rescan, a new finding", "rescan_changed"),
    ):
        run = data[key]
        calls = ", ".join(f"{k} {v}" for k, v in run["operations"].items())
        rows.append(
            Row(
                label,
                f"{run['packages']} packages, {run['layers_read']} layers read, "
                f"{run['cpu_ms']} ms CPU, {run['dynamodb_read_units']} RRU, "
                f"{run['dynamodb_write_units']} WRU; {calls}",
                target="(input of berth cost)",
            )
        )
    return rows


def run(mib: int = 100, os_packages: int = 500, language_packages: int = 300) -> Section:
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scancalls",
            f"--mib={mib}",
            f"--os-packages={os_packages}",
            f"--language-packages={language_packages}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(answer.stderr.strip().splitlines()[-1] if answer.stderr else "failed")
    data = json.loads(answer.stdout.strip().splitlines()[-1])
    section = Section(NAME, TITLE, rows=_rows(data), data=data)
    section.notes.append(
        "the scan's own calls (layers, stored layer changes, the advisory index, the report and "
        "its two referrers); the queue's send, receive and delete are priced by berth cost"
    )
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scancalls")
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--os-packages", type=int, default=500)
    parser.add_argument("--language-packages", type=int, default=300)
    args = parser.parse_args(argv)
    data = measure(args.mib, args.os_packages, args.language_packages)
    print(json.dumps(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
