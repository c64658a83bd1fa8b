"""`python -m bench.push [--size-mib N] [--layers K]`: `berth push` of a multi-layer image to the
local server through the s3-uploads extension versus skopeo pushing the same image to the same
server, and the peak RSS of `berth push`; then `berth push` of it to fresh servers under
`--lambda-limits`, through the extension and in 4 MiB chunks (`measure` says exactly what).

Layers are tars of random bytes gzip-wrapped at level 0, so skopeo sends them as they are.
Part of `make bench` (section "push"); alone, it prints the figures and writes them to
bench/work/push/push-results.json.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

from bench.report import Row, Section, verdict
from bench.workdir import log_path, work_dir
from berth.localserver import spawn

NAME = "push"
TITLE = "berth push vs skopeo to the local server, and berth push's peak RSS"
MiB = 1024 * 1024
_PIECE = MiB
# Anonymous pushes, as for the other local-server measurements.
NO_AUTH = {"BERTH_AUTH": "off"}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while data := file.read(4 * MiB):
            digest.update(data)
    return "sha256:" + digest.hexdigest()


def _store(layout: Path, path: Path) -> dict[str, object]:
    digest = _sha256_file(path)
    target = layout / "blobs" / "sha256" / digest.split(":")[1]
    path.rename(target)
    return {"digest": digest, "size": target.stat().st_size}


def _write_layer(path: Path, size: int, name: str) -> str:
    """A tar of one file of `size` random bytes, gzip-wrapped at level 0; its diff_id."""
    tar_digest = hashlib.sha256()
    info = tarfile.TarInfo(name)
    info.size = size
    with gzip.open(path, "wb", compresslevel=0) as stream:

        def write(data: bytes) -> None:
            tar_digest.update(data)
            stream.write(data)

        write(info.tobuf(format=tarfile.USTAR_FORMAT))
        left = size
        while left:
            piece = os.urandom(min(_PIECE, left))
            write(piece)
            left -= len(piece)
        write(b"\0" * (-size % 512) + b"\0" * 1024)
    return "sha256:" + tar_digest.hexdigest()


def build_image(layout: Path, total: int, layers: int) -> str:
    """An OCI layout of `layers` layers of `total` random bytes in all; its manifest digest."""
    if layout.exists():
        shutil.rmtree(layout)
    (layout / "blobs" / "sha256").mkdir(parents=True)
    descriptors, diff_ids = [], []
    for number in range(layers):
        staging = layout / "layer.tmp"
        diff_id = _write_layer(staging, total // layers, f"payload-{number}.bin")
        diff_ids.append(diff_id)
        layer = _store(layout, staging)
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer})
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    ).encode()
    (layout / "config.tmp").write_bytes(config)
    config_descriptor = {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        **_store(layout, layout / "config.tmp"),
    }
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_descriptor,
            "layers": descriptors,
        }
    ).encode()
    (layout / "manifest.tmp").write_bytes(manifest)
    manifest_descriptor = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **_store(layout, layout / "manifest.tmp"),
        "annotations": {"org.opencontainers.image.ref.name": "v1"},
    }
    index = {"schemaVersion": 2, "manifests": [manifest_descriptor]}
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return str(manifest_descriptor["digest"])


def _peak_kib(pid: int) -> int:
    """VmHWM of `pid` (its own peak RSS since exec), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run `command` (with `env` added to this process's environment); (seconds, peak RSS in
    KiB of the process).

    The peak is VmHWM sampled every 20 ms: a child's ru_maxrss is useless here, as Linux folds
    the parent's high-water mark into it when a vforked child execs."""
    started = time.perf_counter()
    log = log_path(f"push-bench-{uuid.uuid4().hex[:8]}.log").open("wb")
    peak = 0
    with log:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})}
        )
        while process.poll() is None:
            peak = max(peak, _peak_kib(process.pid))
            time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({process.returncode}), see {log.name}")
    return elapsed, peak


def berth_push(layout: Path, destination: str, state: Path, *options: str) -> list[str]:
    command = [sys.executable, "-m", "berth.cli", "push", str(layout), destination]
    return [*command, "--state", str(state), *options]


def skopeo(layout: Path, destination: str, *options: str) -> list[str]:
    return ["skopeo", "copy", "--insecure-policy", "--dest-tls-verify=false", "--quiet",
            *options, f"oci:{layout}:v1", f"docker://{destination}"]  # fmt: skip


def _fresh_state(work: Path) -> Path:
    state = work / f"state-{uuid.uuid4().hex[:8]}"
    shutil.rmtree(state, ignore_errors=True)
    return state


def measure(size_mib: int, layers: int) -> dict[str, float | int]:
    """Build one image, push it, and return the figures (seconds, MiB).

    1. One server without limits: skopeo pushes the image, then `berth push` pushes the same
       image (through the s3-uploads extension) into another repository: same image, same
       server, same run. berth push still uploads and the registry still re-reads and hashes
       every byte (the repository has none of them); only the server-side copy to the content
       address is skipped, as skopeo already stored those objects.
    2. A fresh server under --lambda-limits (nothing stored yet): `berth push` through the
       extension (the full path: upload, verify, copy, link), with its peak RSS; skopeo
       cannot push these layers there (413).
    3. A fresh server under --lambda-limits: `berth push --upload standard` (4 MiB chunks
       through the function), the path a registry without the extension gets.
    """
    work = work_dir() / "push"
    layout = work / "image"
    build_image(layout, size_mib * MiB, layers)
    results: dict[str, float | int] = {"size_mib": size_mib, "layers": layers}
    with log_path("push-bench-serve.log").open("wb") as serve_log:
        with spawn(stderr=serve_log, stage="benchpush", env=NO_AUTH) as server:
            host = f"127.0.0.1:{server.port}"
            skopeo_s, _ = timed(skopeo(layout, f"{host}/skopeo/{uuid.uuid4().hex}:v1"))
            same_s, same_rss = timed(
                berth_push(layout, f"{host}/berth/{uuid.uuid4().hex}:v1", _fresh_state(work))
            )
        # A fresh server for each of the others: moto slows as it fills.
        with spawn(stderr=serve_log, stage="benchpush", lambda_limits=True, env=NO_AUTH) as server:
            host = f"127.0.0.1:{server.port}"
            direct_s, direct_rss = timed(
                berth_push(layout, f"{host}/berth/{uuid.uuid4().hex}:v1", _fresh_state(work))
            )
        with spawn(stderr=serve_log, stage="benchpush", lambda_limits=True, env=NO_AUTH) as server:
            host = f"127.0.0.1:{server.port}"
            chunked_s, chunked_rss = timed(
                berth_push(
                    layout,
                    f"{host}/berth/{uuid.uuid4().hex}:v1",
                    _fresh_state(work),
                    "--upload",
                    "standard",
                )
            )
    results.update(
        skopeo_s=round(skopeo_s, 2),
        berth_push_same_server_s=round(same_s, 2),
        berth_push_same_server_peak_rss_mib=round(same_rss / 1024, 1),
        speedup_same_server=round(skopeo_s / same_s, 2),
        berth_push_s3_lambda_limits_s=round(direct_s, 2),
        berth_push_s3_lambda_limits_peak_rss_mib=round(direct_rss / 1024, 1),
        speedup_s3_lambda_limits=round(skopeo_s / direct_s, 2),
        berth_push_chunked_lambda_limits_s=round(chunked_s, 2),
        berth_push_chunked_lambda_limits_peak_rss_mib=round(chunked_rss / 1024, 1),
    )
    shutil.rmtree(layout, ignore_errors=True)
    for state in work.glob("state-*"):
        shutil.rmtree(state, ignore_errors=True)
    return results


def run(size_mib: int, layers: int = 4) -> Section:
    """The `make bench` section: targets from issue 4 (at least as fast as skopeo, RSS < 200 MB)."""
    data = measure(size_mib, layers)

    def mb(key: str) -> float:
        return float(data[key]) * MiB / 1e6

    rss_mb = max(
        mb("berth_push_same_server_peak_rss_mib"), mb("berth_push_s3_lambda_limits_peak_rss_mib")
    )
    rows = [
        Row(
            f"berth push (s3-uploads) of {size_mib} MiB in {layers} layers, same server as skopeo",
            f"{data['berth_push_same_server_s']:.1f} s",
            baseline=f"skopeo {data['skopeo_s']:.1f} s",
            ratio=f"{data['speedup_same_server']:.2f}x faster",
            target=">= 1.00x",
            verdict=verdict(float(data["speedup_same_server"]) >= 1.0),
        ),
        Row(
            "  the same, fresh server under --lambda-limits",
            f"{data['berth_push_s3_lambda_limits_s']:.1f} s",
            baseline=f"skopeo {data['skopeo_s']:.1f} s (no limits)",
            ratio=f"{data['speedup_s3_lambda_limits']:.2f}x faster",
            target=">= 1.00x",
            verdict=verdict(float(data["speedup_s3_lambda_limits"]) >= 1.0),
        ),
        Row(
            "  peak RSS of berth push (the larger of the two)",
            f"{rss_mb:.0f} MB",
            target="< 200 MB",
            verdict=verdict(rss_mb < 200),
        ),
        Row(
            "  berth push --upload standard under --lambda-limits (4 MiB chunks)",
            f"{data['berth_push_chunked_lambda_limits_s']:.1f} s",
        ),
        Row(
            "  its peak RSS",
            f"{mb('berth_push_chunked_lambda_limits_peak_rss_mib'):.0f} MB",
            target="< 200 MB",
            verdict=verdict(mb("berth_push_chunked_lambda_limits_peak_rss_mib") < 200),
        ),
    ]
    notes = [
        "same image for every push; skopeo cannot push these layers under --lambda-limits (413)",
        "same server: the registry still verifies every byte berth push sends; it skips only "
        "the copy to content addresses skopeo already stored",
    ]
    return Section(NAME, TITLE, rows=rows, data=dict(data), notes=notes)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()
    results = measure(args.size_mib, args.layers)
    for name, value in results.items():
        print(f"{name:40} {value}")
    (work_dir() / "push" / "push-results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
