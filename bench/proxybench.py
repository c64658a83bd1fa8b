"""`python -m bench.proxybench [--size-mib N] [--layers K]`: stock clients pushing an image
through `berth proxy` to `berth serve --lambda-limits --auth`, against `berth push` of the same
image (issue 18's target: within 1.3x of `berth push`, the proxy under 200 MB peak RSS).

Every server runs with `--auth` and every client gives the admin's credentials, as a CI job
would (the proxy holds none: it forwards the caller's). Two clients:

- skopeo copies the OCI layout's compressed layers as they are, so it and `berth push` send
  the same bytes: the ratio is the proxy's cost against the tool built for the job.
- podman pushes from its own storage, where layers are kept uncompressed, so it compresses
  every layer while pushing: its baseline is the same podman push straight to a server
  without the 6 MB limit (where it needs no proxy), which isolates what the proxy adds.

Each push goes to a fresh server (moto slows as it fills). The proxy's peak RSS is its VmHWM
(peak since exec) read once the push is done, while it still runs. Part of `make bench`
(section "proxy"); alone, it prints the figures and writes them to
bench/work/proxy/proxy-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.push import _fresh_state, _peak_kib, berth_push, build_image, skopeo, timed
from bench.report import Row, Section, verdict
from bench.workdir import log_path, work_dir
from berth.localserver import spawn

NAME = "proxy"
TITLE = "stock skopeo and podman through berth proxy, under --lambda-limits --auth"
MiB = 1024 * 1024
RATIO_TARGET = 1.3
RSS_TARGET_MB = 200.0
_LISTENING = re.compile(r"berth proxy: listening on http://(\S+),")
_ADMIN_PASSWORD = re.compile(r"log in as admin with password (\S+) \(shown once\)")


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


@contextmanager
def _server(lambda_limits: bool) -> Iterator[tuple[str, str]]:
    """A fresh `berth serve --auth`; (host:port, "admin:PASSWORD")."""
    with (
        log_path("proxy-bench-serve.log").open("ab") as stderr,
        spawn(stderr=stderr, stage="benchproxy", lambda_limits=lambda_limits, auth=True) as server,
    ):
        match = _ADMIN_PASSWORD.search(server.line)
        if not match:
            raise RuntimeError(f"berth serve --auth printed no admin password: {server.line}")
        yield f"127.0.0.1:{server.port}", f"admin:{match.group(1)}"


@contextmanager
def _proxy_to(host: str, part_size_mib: int | None) -> Iterator[tuple[str, int]]:
    """`berth proxy` in front of `host`; (its host:port, its pid)."""
    port = int(host.rsplit(":", 1)[1])
    process, proxy_host = _start_proxy(port, log_path("proxy-bench-proxy.log"), part_size_mib)
    try:
        yield proxy_host, process.pid
    finally:
        _stop(process)


def _podman_storage(directory: Path) -> tuple[list[str], dict[str, str]]:
    """Private vfs storage for podman under `directory` (nothing of the user's is touched):
    the flags and the environment to run it with."""
    shutil.rmtree(directory, ignore_errors=True)
    root, tmp = directory / "root", directory / "tmp"
    runroot = Path("/tmp") / f"bpx-{uuid.uuid4().hex[:8]}"  # podman: runroot <= 50 chars
    for path in (root, tmp, runroot):
        path.mkdir(parents=True)
    (directory / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root}"\nrunroot = "{runroot}"\n'
    )
    (directory / "registries.conf").write_text("unqualified-search-registries = []\n")
    flags = ["--root", str(root), "--runroot", str(runroot), "--storage-driver", "vfs"]
    flags += ["--events-backend", "file", "--tmpdir", str(tmp)]
    env = {
        "CONTAINERS_STORAGE_CONF": str(directory / "storage.conf"),
        "CONTAINERS_REGISTRIES_CONF": str(directory / "registries.conf"),
        "TMPDIR": str(tmp),
    }
    return flags, env


def _podman_push(flags: list[str], image_id: str, destination: str, creds: str) -> list[str]:
    return ["podman", *flags, "push", "--quiet", "--tls-verify=false", "--creds", creds,
            image_id, f"docker://{destination}"]  # fmt: skip


def _measure_podman(layout: Path, work: Path, part_size_mib: int | None) -> dict[str, float | int]:
    """podman pushes the image from its storage straight to a server without limits, then
    through the proxy to a --lambda-limits one; both compress the layers the same way."""
    flags, env = _podman_storage(work / "podman")
    image_id = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs" / "sha256" / image_id.split(":")[1]).read_text())
    image_id = manifest["config"]["digest"].split(":")[1]
    try:
        subprocess.run(
            ["podman", *flags, "pull", "--quiet", f"oci:{layout}:v1"],
            env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
        with _server(lambda_limits=False) as (host, creds):
            direct_s, _ = timed(
                _podman_push(flags, image_id, f"{host}/direct/{uuid.uuid4().hex}:v1", creds), env
            )
        with (
            _server(lambda_limits=True) as (host, creds),
            _proxy_to(host, part_size_mib) as (
                proxy_host,
                proxy_pid,
            ),
        ):
            proxied_s, _ = timed(
                _podman_push(flags, image_id, f"{proxy_host}/proxied/{uuid.uuid4().hex}:v1", creds),
                env,
            )
            proxy_rss = _peak_kib(proxy_pid)
    finally:
        subprocess.run(["podman", *flags, "rmi", "--all", "--force"], env={**os.environ, **env},
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(work / "podman", ignore_errors=True)
        shutil.rmtree(flags[flags.index("--runroot") + 1], ignore_errors=True)
    return {
        "podman_direct_s": round(direct_s, 2),
        "podman_through_proxy_s": round(proxied_s, 2),
        "podman_ratio": round(proxied_s / direct_s, 2),
        "podman_proxy_peak_rss_mib": round(proxy_rss / 1024, 1),
    }


def measure(
    size_mib: int, layers: int, part_size_mib: int | None = None, with_podman: bool = True
) -> dict[str, float | int]:
    work = work_dir() / "proxy"
    layout = work / "image"
    build_image(layout, size_mib * MiB, layers)
    results: dict[str, float | int] = {"size_mib": size_mib, "layers": layers}
    with _server(lambda_limits=True) as (host, creds):
        username, password = creds.split(":", 1)
        push_s, push_rss = timed(
            berth_push(layout, f"{host}/berth/{uuid.uuid4().hex}:v1", _fresh_state(work)),
            {"BERTH_USERNAME": username, "BERTH_PASSWORD": password},
        )
    with (
        _server(lambda_limits=True) as (host, creds),
        _proxy_to(host, part_size_mib) as (
            proxy_host,
            proxy_pid,
        ),
    ):
        proxy_s, _ = timed(
            skopeo(layout, f"{proxy_host}/proxied/{uuid.uuid4().hex}:v1", "--dest-creds", creds)
        )
        proxy_rss = _peak_kib(proxy_pid)
    results.update(
        berth_push_s=round(push_s, 2),
        berth_push_peak_rss_mib=round(push_rss / 1024, 1),
        skopeo_through_proxy_s=round(proxy_s, 2),
        proxy_peak_rss_mib=round(proxy_rss / 1024, 1),
        ratio=round(proxy_s / push_s, 2),
        berth_push_mib_per_s=round(size_mib / push_s, 1),
        skopeo_through_proxy_mib_per_s=round(size_mib / proxy_s, 1),
    )
    if with_podman and shutil.which("podman"):
        results.update(_measure_podman(layout, work, part_size_mib))
    shutil.rmtree(layout, ignore_errors=True)
    for state in work.glob("state-*"):
        shutil.rmtree(state, ignore_errors=True)
    return results


def run(size_mib: int, layers: int = 4) -> Section:
    data = measure(size_mib, layers)
    rss_mb = float(data["proxy_peak_rss_mib"]) * MiB / 1e6
    rows = [
        Row(
            f"skopeo through berth proxy, {size_mib} MiB in {layers} layers, "
            "--lambda-limits --auth",
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
        "(16 MiB parts, 4 at a time) and the registry links it while the client sends the next "
        "layer (skopeo and podman send one at a time); berth push sends 4 layers at once, each "
        "as one presigned PUT",
    ]
    if "podman_ratio" in data:
        podman_rss_mb = float(data["podman_proxy_peak_rss_mib"]) * MiB / 1e6
        rows += [
            Row(
                "podman push through berth proxy, --lambda-limits --auth",
                f"{data['podman_through_proxy_s']:.1f} s",
                baseline=f"podman push direct, no limits {data['podman_direct_s']:.1f} s",
                ratio=f"{data['podman_ratio']:.2f}x the time",
                target=f"<= {RATIO_TARGET:.2f}x",
                verdict=verdict(float(data["podman_ratio"]) <= RATIO_TARGET),
            ),
            Row(
                "  peak RSS of berth proxy under podman",
                f"{podman_rss_mb:.0f} MB",
                target=f"< {RSS_TARGET_MB:.0f} MB",
                verdict=verdict(podman_rss_mb < RSS_TARGET_MB),
            ),
        ]
        notes.append(
            "podman compresses each layer as it pushes (its storage keeps them uncompressed), "
            "so its baseline is the same podman push to a server without the 6 MB limit"
        )
    else:
        notes.append("podman is not installed: its rows are not measured")
    return Section(NAME, TITLE, rows=rows, data=dict(data), notes=notes)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proxybench")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--part-size-mib", type=int, help="berth proxy --part-size")
    parser.add_argument("--no-podman", action="store_true", help="measure skopeo only")
    args = parser.parse_args()
    results = measure(args.size_mib, args.layers, args.part_size_mib, not args.no_podman)
    for name, value in results.items():
        print(f"{name:40} {value}")
    (work_dir() / "proxy" / "proxy-results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
