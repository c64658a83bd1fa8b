"""`python -m bench.cachebench [--size-mib N] [--layers K]`: skopeo pulling an image through
Berth's pull-through cache (issue 15). Two `berth serve` processes: the upstream holds the
image; Berth has a cache rule for it. Measured: the first pull through Berth (each blob
redirected to upstream's storage at once, its fill queued) against skopeo pulling from the upstream
directly; how long after that pull the fills had landed in Berth's S3; the second pull
(served by Berth alone, once the fills landed) against a normal Berth pull of the same image
pushed there. Part of `make bench` (section "cache"); alone, it prints the figures
and writes them to bench/work/cache/cache-results.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.push import NO_AUTH, build_image, skopeo, timed
from bench.report import Row, Section, verdict
from bench.workdir import log_path, work_dir
from berth.localserver import spawn

NAME = "cache"
TITLE = "pull-through cache: first pull vs upstream direct, second pull vs a normal pull"
MiB = 1024 * 1024
SECOND_TARGET = 1.2  # afterwards it is an ordinary pull plus one GetItem per tag read


def _pull(source: str, into: Path) -> list[str]:
    target = into / uuid.uuid4().hex[:8]
    return ["skopeo", "copy", "--insecure-policy", "--src-tls-verify=false", "--quiet",
            f"docker://{source}", f"oci:{target}:v1"]  # fmt: skip


def _blob_digests(layout: Path, manifest_digest: str) -> list[str]:
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_digest.split(":")[1]).read_text())
    return [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]


def _wait_for_fills(port: int, repository: str, digests: list[str]) -> float:
    """Seconds until every blob is stored in Berth: a HEAD of a blob whose fill is queued
    waits for that fill (the claim) and answers once it landed."""
    started = time.perf_counter()
    for digest in digests:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        try:
            connection.request("HEAD", f"/v2/{repository}/blobs/{digest}")
            status = connection.getresponse().status
        finally:
            connection.close()
        if status != 200:
            raise RuntimeError(f"blob {digest} not stored in Berth: HEAD answered {status}")
    return time.perf_counter() - started


def measure(size_mib: int, layers: int) -> dict[str, float | int]:
    work = work_dir() / "cache"
    layout, pulled = work / "image", work / "pulled"
    digests = _blob_digests(layout, build_image(layout, size_mib * MiB, layers))
    pulled.mkdir(parents=True, exist_ok=True)
    results: dict[str, float | int] = {"size_mib": size_mib, "layers": layers}
    name = f"bench/{uuid.uuid4().hex[:10]}"
    with (
        log_path("cache-bench-serve.log").open("wb") as stderr,
        spawn(stderr=stderr, stage="benchup", env=NO_AUTH) as upstream,
        spawn(stderr=stderr, stage="benchcache", env=NO_AUTH) as berth,
    ):
        up, here = f"127.0.0.1:{upstream.port}", f"127.0.0.1:{berth.port}"
        subprocess.run(skopeo(layout, f"{up}/{name}:v1"), check=True)
        subprocess.run(
            [sys.executable, "-m", "berth.cli", "cache", "add", "up/", f"http://{up}",
             "--registry", f"http://{here}"],
            check=True, stdout=subprocess.DEVNULL, env=None,
        )  # fmt: skip
        direct_s, _ = timed(_pull(f"{up}/{name}:v1", pulled))
        first_s, _ = timed(_pull(f"{here}/up/{name}:v1", pulled))
        filled_s = first_s + _wait_for_fills(berth.port, f"up/{name}", digests)
        second_s, _ = timed(_pull(f"{here}/up/{name}:v1", pulled))
        subprocess.run(skopeo(layout, f"{here}/plain/{name}:v1"), check=True)
        normal_s, _ = timed(_pull(f"{here}/plain/{name}:v1", pulled))
    results.update(
        upstream_direct_s=round(direct_s, 2),
        first_pull_s=round(first_s, 2),
        filled_s=round(filled_s, 2),
        second_pull_s=round(second_s, 2),
        normal_pull_s=round(normal_s, 2),
        first_ratio=round(first_s / direct_s, 2),
        second_ratio=round(second_s / normal_s, 2),
    )
    shutil.rmtree(layout, ignore_errors=True)
    shutil.rmtree(pulled, ignore_errors=True)
    return results


def run(size_mib: int, layers: int = 4) -> Section:
    data = measure(size_mib, layers)
    rows = [
        Row(
            f"first pull through the cache, {size_mib} MiB in {layers} layers",
            f"{data['first_pull_s']:.1f} s",
            baseline=f"upstream direct {data['upstream_direct_s']:.1f} s",
            ratio=f"{data['first_ratio']:.2f}x the time",
            target="(no target: the issue asks for the comparison)",
        ),
        Row(
            "  fills landed in Berth's S3 (from the first pull's start)",
            f"{data['filled_s']:.1f} s",
            baseline=f"upstream direct {data['upstream_direct_s']:.1f} s",
            ratio=f"{data['filled_s'] / data['upstream_direct_s']:.2f}x the time",
            target="(no target: the queued fills run after the client was answered)",
        ),
        Row(
            "  second pull (from Berth's S3, after the fills)",
            f"{data['second_pull_s']:.1f} s",
            baseline=f"normal Berth pull {data['normal_pull_s']:.1f} s",
            ratio=f"{data['second_ratio']:.2f}x the time",
            target=f"<= {SECOND_TARGET:.1f}x",
            verdict=verdict(float(data["second_ratio"]) <= SECOND_TARGET),
        ),
    ]
    notes = [
        "two berth serve processes on one host (upstream and Berth share its CPUs); the first "
        "pull redirects each blob to upstream's storage at once and queues its fill, which "
        "streams it into Berth's S3 while (and after) the client downloads: the fills compete "
        "with the client for the same two CPUs here",
    ]
    return Section(NAME, TITLE, rows=rows, data=dict(data), notes=notes)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cachebench")
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()
    results = measure(args.size_mib, args.layers)
    for key, value in results.items():
        print(f"{key:40} {value}")
    (work_dir() / "cache" / "cache-results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
