"""`python -m bench.proxybench [--size-mib N] [--layers K]`: stock skopeo pushing an image
through `berth proxy` to `berth serve --lambda-limits`, against `berth push` of the same
image to another fresh `--lambda-limits` server (issue 18's target: within 1.3x of `berth
push`, the proxy under 200 MB peak RSS).

skopeo copies an OCI layout's compressed layers as they are, so both pushes send the same
bytes; each goes to a fresh server (moto slows as it fills). The proxy's peak RSS is its
VmHWM (peak since exec) read once the push is done, while it still runs. Part of `make bench`
(section "proxy"); alone, it prints the figures and writes them to
bench/work/proxy/proxy-results.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from bench.push import NO_AUTH, _fresh_state, _peak_kib, berth_push, build_image, skopeo, timed
from bench.report import Row, Section, verdict
from bench.workdir import log_path, work_dir
from berth.localserver import spawn

NAME = "proxy"
TITLE = "stock skopeo through berth proxy vs berth push, under --lambda-limits"
MiB = 1024 * 1024
RATIO_TARGET = 1.3
RSS_TARGET_MB = 200.0
_LISTENING = re.compile(r"berth proxy: listening on http://(\S+),")


def _start_proxy(
    registry_port: int, log: Path, part_size_mib: int | None
) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "berth.cli", "proxy", "--stop-on-eof", "--port", "0"]
    command += ["--registry", f"http://127.0.0.1:{registry_port}"]
    if part_size_mib is not None:
        command += ["--part-size", str(part_size_mib)]
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
    assert process.stdout is not None
    match = _LISTENING.search(process.stdout.readline().decode())
    if not match:
        process.kill()
        raise RuntimeError(f"berth proxy did not start; see {log}")
    return process, match.group(1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    process.wait(timeout=60)
    process.stdout.close()


def measure(size_mib: int, layers: int, part_size_mib: int | None = None) -> dict[str, float | int]:
    work = work_dir() / "proxy"
    layout = work / "image"
    build_image(layout, size_mib * MiB, layers)
    results: dict[str, float | int] = {"size_mib": size_mib, "layers": layers}
    serve_log = log_path("proxy-bench-serve.log")
    with serve_log.open("wb") as stderr:
        with spawn(stderr=stderr, stage="benchproxy", lambda_limits=True, env=NO_AUTH) as server:
            push_s, push_rss = timed(
                berth_push(layout, f"127.0.0.1:{server.port}/berth/{uuid.uuid4().hex}:v1",
                           _fresh_state(work))
            )  # fmt: skip
        with spawn(stderr=stderr, stage="benchproxy", lambda_limits=True, env=NO_AUTH) as server:
            proxy, host = _start_proxy(
                server.port, log_path("proxy-bench-proxy.log"), part_size_mib
            )
            try:
                proxy_s, _ = timed(skopeo(layout, f"{host}/proxied/{uuid.uuid4().hex}:v1"))
                proxy_rss = _peak_kib(proxy.pid)
            finally:
                _stop(proxy)
    results.update(
        berth_push_s=round(push_s, 2),
        berth_push_peak_rss_mib=round(push_rss / 1024, 1),
        skopeo_through_proxy_s=round(proxy_s, 2),
        proxy_peak_rss_mib=round(proxy_rss / 1024, 1),
        ratio=round(proxy_s / push_s, 2),
        berth_push_mib_per_s=round(size_mib / push_s, 1),
        skopeo_through_proxy_mib_per_s=round(size_mib / proxy_s, 1),
    )
    shutil.rmtree(layout, ignore_errors=True)
    for state in work.glob("state-*"):
        shutil.rmtree(state, ignore_errors=True)
    return results


def run(size_mib: int, layers: int = 4) -> Section:
    data = measure(size_mib, layers)
    rss_mb = float(data["proxy_peak_rss_mib"]) * MiB / 1e6
    rows = [
        Row(
            f"skopeo through berth proxy, {size_mib} MiB in {layers} layers, --lambda-limits",
            f"{data['skopeo_through_proxy_s']:.1f} s "
            f"({data['skopeo_through_proxy_mib_per_s']:.0f} MiB/s)",
            baseline=f"berth push {data['berth_push_s']:.1f} s "
            f"({data['berth_push_mib_per_s']:.0f} MiB/s)",
            ratio=f"{data['ratio']:.2f}x the time",
            target=f"<= {RATIO_TARGET:.2f}x",
            verdict=verdict(float(data["ratio"]) <= RATIO_TARGET),
        ),
        Row(
            "  peak RSS of berth proxy",
            f"{rss_mb:.0f} MB",
            baseline=f"berth push {float(data['berth_push_peak_rss_mib']) * MiB / 1e6:.0f} MB",
            target=f"< {RSS_TARGET_MB:.0f} MB",
            verdict=verdict(rss_mb < RSS_TARGET_MB),
        ),
    ]
    notes = [
        "each push to a fresh server; the proxy streams each layer to S3 as it arrives "
        "(16 MiB parts, 4 at a time) and the registry links it while skopeo sends the next "
        "layer (skopeo sends one at a time); berth push sends 4 layers at once, each as one "
        "presigned PUT",
    ]
    return Section(NAME, TITLE, rows=rows, data=dict(data), notes=notes)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proxybench")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--part-size-mib", type=int, help="berth proxy --part-size")
    args = parser.parse_args()
    results = measure(args.size_mib, args.layers, args.part_size_mib)
    for name, value in results.items():
        print(f"{name:40} {value}")
    (work_dir() / "proxy" / "proxy-results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
