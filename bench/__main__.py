"""`python -m bench [--quick] [--only NAMES]`: run the measurements, print the table and
write bench/results.json. A measurement that cannot run says so ("not measured: why")."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bench import (
    authbench,
    cachebench,
    calls,
    coldstart,
    cpu,
    eventsbench,
    gcbench,
    lifecyclebench,
    memory,
    proxybench,
    push,
    replicationbench,
    scanbench,
    scancalls,
    throughput,
    transfer,
    uicold,
)
from bench.motoserver import MotoServer
from bench.report import Section, render, to_json, write_json
from bench.serverproc import NotReady, local_server
from bench.stats import MiB
from bench.workdir import REPO, RESULTS, log_path, work_dir

SECTIONS = {
    calls.NAME: calls.TITLE,
    cpu.NAME: cpu.TITLE,
    coldstart.NAME: coldstart.TITLE,
    uicold.NAME: uicold.TITLE,
    transfer.NAME: transfer.TITLE,
    throughput.NAME: throughput.TITLE,
    memory.NAME: memory.TITLE,
    push.NAME: push.TITLE,
    proxybench.NAME: proxybench.TITLE,
    cachebench.NAME: cachebench.TITLE,
    replicationbench.NAME: replicationbench.TITLE,
    gcbench.NAME: gcbench.TITLE,
    authbench.NAME: authbench.TITLE,
    lifecyclebench.NAME: lifecyclebench.TITLE,
    lifecyclebench.DAILY_NAME: lifecyclebench.DAILY_TITLE,
    eventsbench.NAME: eventsbench.TITLE,
    scanbench.NAME: scanbench.TITLE,
    scancalls.NAME: scancalls.TITLE,
}


@dataclass(frozen=True, slots=True)
class Plan:
    cold_repeats: int = 5
    transfer_bytes: int = 100 * MiB
    transfer_repeats: int = 3
    connections: int = 16
    rps_seconds: float = 10.0
    rss_bytes: int = 1024 * MiB
    push_mib: int = 1024
    replication_mib: int = 1024
    replication_large_mib: int = replicationbench.LARGE_MIB
    gc_manifests: int = 10_000
    event_pushes: int = 200
    scan_mib: int = 1024
    scan_match: int = 10_000


QUICK = Plan(
    cold_repeats=3,
    transfer_bytes=16 * MiB,
    transfer_repeats=2,
    rps_seconds=3.0,
    rss_bytes=64 * MiB,
    push_mib=64,
    replication_mib=64,
    replication_large_mib=0,  # the resumable row needs a layer over 512 MiB
    gc_manifests=1_000,
    event_pushes=30,
    scan_mib=64,
    scan_match=1_000,
)


def _guarded(name: str, measure: Callable[[], Section]) -> Section:
    """Run one measurement; a failure becomes a 'not measured' line, never a fake number."""
    started = time.perf_counter()
    print(f"-- measuring {name} ...", file=sys.stderr, flush=True)
    try:
        section = measure()
    except NotReady as error:
        section = Section.skipped(name, SECTIONS[name], str(error))
    except Exception as error:
        trace = log_path(f"{name}.error.txt")
        trace.write_text(traceback.format_exc())
        reason = (
            f"failed: {type(error).__name__}: {str(error)[:300]} (see {trace.relative_to(REPO)})"
        )
        section = Section.skipped(name, SECTIONS[name], reason)
    section.data.setdefault("seconds_spent", round(time.perf_counter() - started, 1))
    return section


def _local_server_sections(plan: Plan, wanted: set[str]) -> list[Section]:
    from bench.transfer import skopeo_version

    out: list[Section] = []
    server_names = [n for n in (transfer.NAME, throughput.NAME) if n in wanted]
    if server_names:
        if skopeo_version() is None:
            reason = "skopeo is not installed (make system-deps installs it)"
            return [Section.skipped(n, SECTIONS[n], reason) for n in server_names] + (
                [Section.skipped(memory.NAME, SECTIONS[memory.NAME], reason)]
                if memory.NAME in wanted
                else []
            )
        try:
            with local_server("bench") as server:
                reference: list[str] = []

                def measure_transfer() -> Section:
                    section, ref = transfer.run(server, plan.transfer_bytes, plan.transfer_repeats)
                    reference.append(ref)
                    return section

                out.append(_guarded(transfer.NAME, measure_transfer))
                if throughput.NAME in wanted:
                    if reference:
                        out.append(
                            _guarded(
                                throughput.NAME,
                                lambda: throughput.run(
                                    server, reference[0], plan.connections, plan.rps_seconds
                                ),
                            )
                        )
                    else:
                        out.append(
                            Section.skipped(
                                throughput.NAME,
                                SECTIONS[throughput.NAME],
                                "no image was pushed (the push measurement failed)",
                            )
                        )
        except NotReady as error:
            out += [Section.skipped(n, SECTIONS[n], str(error)) for n in server_names]
        out = [s for s in out if s.name in wanted]
    if memory.NAME in wanted:
        out.append(_guarded(memory.NAME, lambda: memory.run(plan.rss_bytes)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated measurements (default: all of {', '.join(SECTIONS)})",
    )
    args = parser.parse_args(argv)
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = wanted - set(SECTIONS)
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    plan = QUICK if args.quick else Plan()
    work_dir()
    started = time.perf_counter()
    load_before = os.getloadavg()

    sections: list[Section] = []
    if calls.NAME in wanted:
        sections.append(_guarded(calls.NAME, calls.run))
    if cpu.NAME in wanted:
        sections.append(_guarded(cpu.NAME, cpu.run))
    if coldstart.NAME in wanted:

        def measure_cold() -> Section:
            with MotoServer() as moto:
                return coldstart.run(moto, plan.cold_repeats)

        sections.append(_guarded(coldstart.NAME, measure_cold))
    if uicold.NAME in wanted:

        def measure_ui_cold() -> Section:
            with MotoServer() as moto:
                return uicold.run(moto, plan.cold_repeats)

        sections.append(_guarded(uicold.NAME, measure_ui_cold))
    sections += _local_server_sections(plan, wanted)
    if push.NAME in wanted:
        sections.append(_guarded(push.NAME, lambda: push.run(plan.push_mib)))
    if proxybench.NAME in wanted:
        sections.append(_guarded(proxybench.NAME, lambda: proxybench.run(plan.push_mib)))
    if cachebench.NAME in wanted:
        sections.append(_guarded(cachebench.NAME, lambda: cachebench.run(plan.push_mib // 4)))
    if replicationbench.NAME in wanted:
        sections.append(
            _guarded(
                replicationbench.NAME,
                lambda: replicationbench.run(
                    plan.replication_mib, 4, plan.replication_large_mib or None
                ),
            )
        )
    if gcbench.NAME in wanted:
        sections.append(_guarded(gcbench.NAME, lambda: gcbench.run(plan.gc_manifests)))
    if authbench.NAME in wanted:
        sections.append(
            _guarded(authbench.NAME, lambda: authbench.run(plan.connections, plan.rps_seconds))
        )
    if lifecyclebench.NAME in wanted:
        sections.append(
            _guarded(lifecyclebench.NAME, lambda: lifecyclebench.run(plan.gc_manifests))
        )
    if lifecyclebench.DAILY_NAME in wanted:
        sections.append(
            _guarded(lifecyclebench.DAILY_NAME, lambda: lifecyclebench.run_daily(plan.gc_manifests))
        )

    if eventsbench.NAME in wanted:
        sections.append(_guarded(eventsbench.NAME, lambda: eventsbench.run(plan.event_pushes)))
    if scanbench.NAME in wanted:
        sections.append(
            _guarded(
                scanbench.NAME, lambda: scanbench.run(mib=plan.scan_mib, match=plan.scan_match)
            )
        )

    if scancalls.NAME in wanted:
        sections.append(_guarded(scancalls.NAME, lambda: scancalls.run(mib=plan.scan_mib // 10)))

    elapsed = time.perf_counter() - started
    document = to_json(sections, quick=args.quick, seconds=elapsed)
    document["host"] = {
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    document["plan"] = {k: getattr(plan, k) for k in Plan.__dataclass_fields__}
    write_json(RESULTS, document)
    print(render(sections))
    print(
        f"\nwrote {RESULTS.relative_to(REPO)} in {elapsed:.0f} s "
        f"(load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"{os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
