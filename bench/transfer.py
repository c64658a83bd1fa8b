"""Measurement 3a: skopeo push and pull of a single-layer image through `berth serve`, beside
the floor: the same layer bytes PUT to and GET from the server's moto S3 endpoint directly.

Each push is a fresh random image (nothing for the registry to deduplicate); each pull goes
into a fresh directory. Pulls follow the registry's 307 to a presigned moto URL, so the floor
GET is the same transfer without the registry in front.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.httpio import S3Floor, get_to_file, put_file
from bench.images import Image, build
from bench.report import Row, Section
from bench.serverproc import Server
from bench.stats import MiB, median, mib_per_s, ratio
from bench.workdir import work_dir

NAME = "transfer"
TITLE = "Local server: skopeo push/pull vs moto S3 directly (the floor)"


@dataclass
class Runs:
    push_s: list[float] = field(default_factory=list)
    pull_s: list[float] = field(default_factory=list)
    floor_put_s: list[float] = field(default_factory=list)
    floor_get_s: list[float] = field(default_factory=list)
    blob_sizes: list[int] = field(default_factory=list)


def skopeo_version() -> str | None:
    if shutil.which("skopeo") is None:
        return None
    done = subprocess.run(["skopeo", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "skopeo"


def skopeo_copy(source: str, destination: str, *, timeout: float = 3600) -> float:
    """`skopeo copy` over plain HTTP; seconds taken."""
    command = ["skopeo", "copy", "--insecure-policy", "--src-tls-verify=false"]
    command += ["--dest-tls-verify=false", "--quiet", source, destination]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"skopeo copy {source} {destination} failed: {done.stderr[-1500:]}")
    return elapsed


def push(server: Server, image: Image, repo: str) -> float:
    seconds = skopeo_copy(image.skopeo_ref, f"docker://{server.host_port}/{repo}:{image.tag}")
    _check_blob(server, repo, image)
    return seconds


def _check_blob(server: Server, repo: str, image: Image) -> None:
    """The registry has the layer as pushed (skopeo did not recompress it)."""
    request = urllib.request.Request(
        f"{server.url}/v2/{repo}/blobs/{image.layer.digest}", method="HEAD"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        length = int(response.headers.get("Content-Length", "-1"))
    if length != image.layer.size:
        raise RuntimeError(f"pushed layer has {length} bytes, expected {image.layer.size}")


def pull(server: Server, repo: str, image: Image, into: Path) -> float:
    if into.exists():
        shutil.rmtree(into)
    seconds = skopeo_copy(f"docker://{server.host_port}/{repo}:{image.tag}", f"dir:{into}")
    pulled = into / image.layer.digest.split(":", 1)[1]
    if not pulled.exists() or pulled.stat().st_size != image.layer.size:
        raise RuntimeError(f"pulled layer missing or of the wrong size in {into}")
    return seconds


def run(server: Server, payload: int, repeats: int) -> tuple[Section, str]:
    """Returns the section and a repository:tag that now exists (for the requests/s test)."""
    section = Section(NAME, TITLE)
    if server.moto_url is None:
        raise RuntimeError(f"no moto endpoint in the server's startup line: {server.line!r}")
    floor = S3Floor(server.moto_url)
    images_dir = work_dir("images")
    pulls_dir = work_dir("pulls")
    runs = Runs()
    images: list[tuple[str, Image]] = []
    try:
        for i in range(repeats):
            image = build(images_dir / f"push-{i}", payload)
            repo = f"bench/push-{i}-{int(time.time())}"
            images.append((repo, image))
            runs.blob_sizes.append(image.layer.size)
            runs.push_s.append(push(server, image, repo))
            runs.floor_put_s.append(put_file(floor.url("PUT", f"floor/{i}"), image.layer_path))
        for i, (repo, image) in enumerate(images):
            runs.pull_s.append(pull(server, repo, image, pulls_dir / f"pull-{i}"))
            seconds, received = get_to_file(floor.url("GET", f"floor/{i}"), pulls_dir / "floor")
            if received != image.layer.size:
                raise RuntimeError(f"floor GET returned {received} bytes")
            runs.floor_get_s.append(seconds)
            floor.delete(f"floor/{i}")
    finally:
        shutil.rmtree(pulls_dir, ignore_errors=True)
        for _, image in images:
            shutil.rmtree(image.layout, ignore_errors=True)

    size = images[0][1].layer.size
    label = f"{payload / MiB:.0f} MiB layer"
    for verb, mine, floor_runs, floor_what in (
        ("push", runs.push_s, runs.floor_put_s, "moto S3 PUT"),
        ("pull", runs.pull_s, runs.floor_get_s, "moto S3 GET"),
    ):
        value, base = median(mine), median(floor_runs)
        section.rows.append(
            Row(
                f"skopeo {verb}, {label} (median of {repeats})",
                f"{value:.2f} s ({mib_per_s(size, value)} MiB/s)",
                baseline=f"{base:.2f} s ({mib_per_s(size, base)} MiB/s) {floor_what}",
                ratio=f"{ratio(value, base)}x",
                target="(ratio reported)",
            )
        )
    section.notes.append(
        f"layer blob {size} bytes (tar of {payload} random bytes, gzip level 0); "
        f"skopeo: {skopeo_version()}; floor: presigned PUT/GET with http.client to {floor.bucket} "
        f"in the server's own moto ({server.moto_url})"
    )
    section.data = {
        "payload_bytes": payload,
        "blob_bytes": runs.blob_sizes,
        "repeats": repeats,
        "push_s": [round(s, 3) for s in runs.push_s],
        "pull_s": [round(s, 3) for s in runs.pull_s],
        "floor_put_s": [round(s, 3) for s in runs.floor_put_s],
        "floor_get_s": [round(s, 3) for s in runs.floor_get_s],
        "push_ratio": ratio(median(runs.push_s), median(runs.floor_put_s)),
        "pull_ratio": ratio(median(runs.pull_s), median(runs.floor_get_s)),
        "skopeo": skopeo_version(),
    }
    repo, image = images[-1]
    return section, f"{repo}:{image.tag}"
