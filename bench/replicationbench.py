"""`python -m bench.replicationbench [--size-mib N] [--layers K] [--large-mib M]`: Berth's
replication against `skopeo copy` between the same two local registries (issue 15's target:
at least as fast as skopeo, the replicating process under 256 MB).

Three `berth serve` processes: the source, and one fresh destination per contender (a
destination that already stores the bytes closes uploads faster). skopeo pushes a generated
image of N MiB in K layers to the source; then

- Berth replicates it through its real pipeline: a rule to the first destination (no
  referrers: skopeo copies the image alone), a backfill, and the source's own event pipeline
  copying until the status says `done` (timed from the backfill request to that status);
- `skopeo copy` copies it from the source to the second destination.

Both run ROUNDS times, alternating which goes first, each to a fresh destination, once the
source is idle (it scans what was pushed to it); the medians are compared.

The replicating process is the source's `berth serve` (its pipeline thread copies): its peak
RSS is its VmHWM, reset just before the copy (`/proc/<pid>/clear_refs`, 5) so the source's
own push does not count, and read once the copy is done. A second row replicates an image of
one layer over 512 MiB (the resumable chunked path) for its peak RSS, at full size only
(one round, its time beside skopeo's).
Part of `make bench` (section "replication"); alone, it prints the figures and writes them to
bench/work/replication/replication-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.push import NO_AUTH, build_image, skopeo, timed
from bench.report import Row, Section, verdict
from bench.serverproc import RssSampler, children, status_kib
from bench.workdir import log_path, work_dir
from berth.localserver import spawn
from chalicelib.replication.sinks import RESUMABLE_OVER

NAME = "replication"
TITLE = "replication between two local registries vs skopeo copy, and its peak RSS"
MiB = 1024 * 1024
RATIO_TARGET = 1.0  # at least as fast as skopeo
RSS_TARGET_MB = 256.0
LARGE_MIB = 640  # one layer over RESUMABLE_OVER (512 MiB): the resumable chunked path
WAIT_SECONDS = 1800.0
ROUNDS = 2  # each contender this many times, alternating which goes first; medians


def _api(base: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base}/v2/_berth/replication{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"null")


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _wait_done(base: str, repository: str, where: str, deadline: float) -> None:
    """Until the copy of `repository` to `where` is done (the status names the URL)."""
    quoted = urllib.parse.quote(repository, safe="")
    while True:
        replicas = _api(base, "GET", f"/status?repository={quoted}")["replicas"]
        mine = [r for r in replicas if r["destination"] == where]
        if mine and all(r["state"] == "done" for r in mine):
            return
        failed = [r for r in mine if r["state"] == "failed"]
        if failed:
            raise RuntimeError(f"replication failed: {failed[0].get('error')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"replication not done after {WAIT_SECONDS:.0f} s: {mine}")
        time.sleep(0.1)


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _quiet(pids: list[int], limit: float = 120.0) -> float:
    """Wait until these processes are idle (under 5% of a CPU over half a second): the
    source scans what was pushed to it, and that must not be timed as either contender's.
    The seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = _cpu_seconds(pids)
        time.sleep(0.5)
        if _cpu_seconds(pids) - before < 0.025:
            break
    return round(time.monotonic() - started, 1)


def _berth_copy(base: str, source_pid: int, name: str, serve_log: Any) -> dict[str, float]:
    """Berth's pipeline copies `name` to a fresh destination: seconds and the source's peak."""
    with spawn(stderr=serve_log, stage="benchrdst", env=NO_AUTH) as replica:
        where = f"http://127.0.0.1:{replica.port}"
        rule = _api(
            base,
            "POST",
            "",
            {
                "repository": name,
                "destinations": [{"kind": "berth", "url": where}],
                "referrers": False,  # the image alone, as skopeo copies it
            },
        )
        before = status_kib(source_pid).get("VmRSS", 0)
        reset = _reset_peak(source_pid)
        with RssSampler([source_pid], interval=0.05) as sampler:
            started = time.perf_counter()
            _api(base, "POST", f"/{rule['id']}/backfill", {"repository": name})
            _wait_done(base, name, where, time.monotonic() + WAIT_SECONDS)
            seconds = time.perf_counter() - started
        hwm = status_kib(source_pid).get("VmHWM", 0) if reset else 0
        _api(base, "DELETE", f"/{rule['id']}")
    return {
        "s": seconds,
        "rss_before_kib": before,
        "peak_kib": max(hwm, sampler.peak_kib[source_pid]),
        "hwm_reset": reset,
    }


def _skopeo_copy(src: str, name: str, serve_log: Any) -> float:
    with spawn(stderr=serve_log, stage="benchrdst", env=NO_AUTH) as other:
        copy = ["skopeo", "copy", "--insecure-policy", "--src-tls-verify=false",
                "--dest-tls-verify=false", "--quiet", f"docker://{src}/{name}:v1",
                f"docker://127.0.0.1:{other.port}/{name}:v1"]  # fmt: skip
        seconds, _ = timed(copy)
    return seconds


def _mb(kib: float) -> float:
    return round(kib * 1024 / 1e6, 1)


def _replicate(
    layout: Path, size_mib: int, layers: int, serve_log: Any, rounds: int
) -> dict[str, Any]:
    """Push to a source; then `rounds` times Berth's copy and skopeo's, alternating which goes
    first (the host's load drifts), each to a fresh destination. rounds=0: Berth's only."""
    name = f"bench/{uuid.uuid4().hex[:10]}"
    out: dict[str, Any] = {"size_mib": size_mib, "layers": layers}
    berth_runs: list[dict[str, float]] = []
    skopeo_s: list[float] = []
    with spawn(stderr=serve_log, stage="benchrsrc", env=NO_AUTH) as source:
        src = f"127.0.0.1:{source.port}"
        base = f"http://{src}"
        subprocess.run(skopeo(layout, f"{src}/{name}:v1"), check=True)
        out["quiet_wait_s"] = _quiet([source.pid, *children(source.pid)])
        for number in range(max(rounds, 1)):
            if rounds and number % 2:
                skopeo_s.append(_skopeo_copy(src, name, serve_log))
            berth_runs.append(_berth_copy(base, source.pid, name, serve_log))
            if rounds and not number % 2:
                skopeo_s.append(_skopeo_copy(src, name, serve_log))
    berth_s = [r["s"] for r in berth_runs]
    out.update(
        berth_s=round(statistics.median(berth_s), 2),
        berth_runs_s=[round(x, 2) for x in berth_s],
        source_rss_before_mb=_mb(min(r["rss_before_kib"] for r in berth_runs)),
        source_peak_rss_mb=_mb(max(r["peak_kib"] for r in berth_runs)),
        peak_from="VmHWM reset before each copy"
        if all(r["hwm_reset"] for r in berth_runs)
        else "VmRSS sampled every 50 ms",
    )
    if skopeo_s:
        out.update(
            skopeo_s=round(statistics.median(skopeo_s), 2),
            skopeo_runs_s=[round(x, 2) for x in skopeo_s],
            ratio=round(statistics.median(berth_s) / statistics.median(skopeo_s), 2),
        )
    return out


def measure(size_mib: int, layers: int, large_mib: int | None, rounds: int) -> dict[str, Any]:
    work = work_dir() / "replication"
    layout = work / "image"
    results: dict[str, Any] = {"rounds": rounds}
    with log_path("replication-bench-serve.log").open("wb") as serve_log:
        build_image(layout, size_mib * MiB, layers)
        results["image"] = _replicate(layout, size_mib, layers, serve_log, rounds)
        if large_mib:
            build_image(layout, large_mib * MiB, 1)
            results["large"] = _replicate(layout, large_mib, 1, serve_log, 1)
    shutil.rmtree(layout, ignore_errors=True)
    return results


def run(
    size_mib: int, layers: int = 4, large_mib: int | None = LARGE_MIB, rounds: int = ROUNDS
) -> Section:
    data = measure(size_mib, layers, large_mib, rounds)
    image = data["image"]
    rss = float(image["source_peak_rss_mb"])
    rows = [
        Row(
            f"berth replicate, {size_mib} MiB in {layers} layers, source pipeline to a "
            "fresh berth serve",
            f"{image['berth_s']:.1f} s ({size_mib / image['berth_s']:.0f} MiB/s)",
            baseline=f"skopeo copy {image['skopeo_s']:.1f} s "
            f"({size_mib / image['skopeo_s']:.0f} MiB/s)",
            ratio=f"{image['ratio']:.2f}x the time",
            target=f"<= {RATIO_TARGET:.2f}x",
            verdict=verdict(float(image["ratio"]) <= RATIO_TARGET),
        ),
        Row(
            "  peak RSS of the replicating process (source berth serve)",
            f"{rss:.0f} MB",
            baseline=f"{image['source_rss_before_mb']:.0f} MB before the copy",
            target=f"< {RSS_TARGET_MB:.0f} MB",
            verdict=verdict(rss < RSS_TARGET_MB),
        ),
    ]
    notes = [
        "three berth serve processes and their moto children on one host; each contender "
        "copies to a fresh destination; berth's time runs from the backfill request to the "
        "status 'done' (status polled every 0.1 s); the rule copies no referrers (skopeo "
        "copies the image alone)",
        f"medians of {data['rounds']} rounds, alternating which contender goes first: berth "
        f"{image['berth_runs_s']} s, skopeo {image.get('skopeo_runs_s')} s; timing starts "
        f"once the source is idle (its scan of the pushed image took {image['quiet_wait_s']} s)",
        f"peak RSS: {image['peak_from']}; MB = 10^6 bytes",
    ]
    if "large" in data:
        large = data["large"]
        large_rss = float(large["source_peak_rss_mb"])
        path = (
            "resumable chunked path"
            if large["size_mib"] * MiB > RESUMABLE_OVER
            else "under the resumable threshold: streamed"
        )
        rows.append(
            Row(
                f"  peak RSS replicating one {large['size_mib']} MiB layer ({path})",
                f"{large_rss:.0f} MB",
                baseline=f"{large['source_rss_before_mb']:.0f} MB before; copy "
                f"{large['berth_s']:.1f} s, skopeo {large['skopeo_s']:.1f} s",
                target=f"< {RSS_TARGET_MB:.0f} MB",
                verdict=verdict(large_rss < RSS_TARGET_MB),
            )
        )
    else:
        notes.append("the one-layer resumable row runs at full size only")
    return Section(NAME, TITLE, rows=rows, data=data, notes=notes)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicationbench")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--large-mib", type=int, default=LARGE_MIB, help="0: skip that row")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    results = measure(args.size_mib, args.layers, args.large_mib or None, args.rounds)
    print(json.dumps(results, indent=2))
    (work_dir() / "replication" / "replication-results.json").write_text(
        json.dumps(results, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
