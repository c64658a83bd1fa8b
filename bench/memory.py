"""Measurement 3c: peak resident memory of `berth serve` while skopeo pushes one large layer
(1 GiB in a full run) to a freshly started server. The server process is judged (VmHWM, its
peak since start, and the peak of VmRSS sampled every 50 ms); moto, the server's child
process that holds every object in memory, is reported apart."""

from __future__ import annotations

import shutil

from bench.images import build
from bench.report import Row, Section, verdict
from bench.serverproc import RssSampler, children, command_line, local_server, status_kib
from bench.stats import MiB
from bench.transfer import push
from bench.workdir import work_dir

NAME = "peak_rss"
TITLE = "Local server: peak RSS while skopeo pushes one large layer"
TARGET_MB = 400.0


def _mb(kib: int) -> float:
    return round(kib * 1024 / 1e6, 1)


def run(payload: int) -> Section:
    image = build(work_dir("images") / "large", payload)
    try:
        with local_server("rss") as server:
            helpers = children(server.pid)
            at_start = status_kib(server.pid)
            with RssSampler([server.pid, *helpers]) as sampler:
                seconds = push(server, image, "bench/large")
            peaks = {pid: status_kib(pid).get("VmHWM", 0) for pid in [server.pid, *helpers]}
            names = {pid: command_line(pid) for pid in helpers}
    finally:
        shutil.rmtree(image.layout, ignore_errors=True)

    server_peak = peaks[server.pid]
    section = Section(NAME, TITLE)
    section.rows.append(
        Row(
            f"berth serve process, peak RSS (VmHWM), {payload / MiB:.0f} MiB layer",
            f"{_mb(server_peak)} MB",
            baseline=f"{_mb(at_start.get('VmRSS', 0))} MB after start-up",
            target=f"< {TARGET_MB:.0f} MB",
            verdict=verdict(_mb(server_peak) < TARGET_MB),
        )
    )
    section.rows.append(
        Row("  sampled peak RSS, every 50 ms", f"{_mb(sampler.peak_kib[server.pid])} MB")
    )
    for pid in helpers:
        what = "moto child" if "moto" in names[pid] else names[pid][:60]
        section.rows.append(
            Row(
                f"{what} (pid {pid}), peak RSS (VmHWM), reported apart",
                f"{_mb(peaks[pid])} MB",
                target="(not judged)",
            )
        )
    section.notes.append(
        f"push took {seconds:.1f} s; layer blob {image.layer.size} bytes; "
        f"{sampler.samples} samples; MB = 10^6 bytes"
    )
    section.data = {
        "payload_bytes": payload,
        "blob_bytes": image.layer.size,
        "push_s": round(seconds, 2),
        "server": {
            "pid": server.pid,
            "rss_after_start_mb": _mb(at_start.get("VmRSS", 0)),
            "vmhwm_mb": _mb(server_peak),
            "sampled_peak_mb": _mb(sampler.peak_kib[server.pid]),
        },
        "children": [
            {
                "pid": pid,
                "command": names[pid],
                "vmhwm_mb": _mb(peaks[pid]),
                "sampled_peak_mb": _mb(sampler.peak_kib[pid]),
            }
            for pid in helpers
        ],
        "target_mb": TARGET_MB,
        "met": _mb(server_peak) < TARGET_MB,
    }
    return section
