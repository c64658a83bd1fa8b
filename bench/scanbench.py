"""Measurement: vulnerability scanning on moto in-process.

`python -m bench.scanbench [--mib N] [--os-packages N] [--language-packages N] [--match N]`
generates a 10-layer gzip image (bench/scanimage.py) on disk, uploads its layers to moto's S3
and links them, pushes the manifest, then measures in its own process (`run()` spawns it):

- the scan (chalicelib.scanner.run.scan_image: read every layer, inventory, match, store,
  attach the CycloneDX referrers): wall time, peak RSS while it runs (the kernel's high-water
  mark, reset just before), bytes read from S3; against a baseline measured in the same run:
  only reading and decompressing the same layers from the same S3;
- the scan of a rebuild (the same nine lower layers, a new top layer): bytes read from S3
  against that image's size, the shared layers coming from what the first scan stored;
- the scan of the same files as zstd:chunked layers (TOC, then ranged reads of the package
  databases and the executables): bytes read against the image's size;
- matching N generated packages (five ecosystems, one in ten with an advisory) against the
  advisory index stored in S3: time per package, against the same matching with the index in
  memory (the cost of the S3 lookups)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any, cast

from bench.report import Row, Section, verdict
from bench.stats import MiB, ratio

NAME = "scan"
TITLE = "Vulnerability scan of a generated image and matching (moto in-process)"
SCAN_TARGET_S = 20.0
RSS_TARGET_MIB = 512
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


def _status_kib(field: str) -> int:
    found = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(found.group(1)) if found else 0


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _push(
    client: Any,
    repo: str,
    layers: list[Any],
    tag: str = "v1",
    annotations: list[dict[str, str]] | None = None,
    layer_type: str | None = None,
) -> str:
    """Layers uploaded straight to moto's S3 and linked; the manifest through the API. With
    `annotations` (one per layer) the layers are zstd:chunked unless `layer_type` says."""
    import boto3

    from bench.apiclient import ApiClient
    from bench.content import (
        OCI_CONFIG,
        OCI_LAYER_GZIP,
        Descriptor,
        canonical,
        config_blob,
        image_manifest,
    )
    from chalicelib.config import settings
    from chalicelib.oci.digest import parse_digest
    from chalicelib.storage import blobs

    s3 = boto3.client("s3")
    for layer in layers:
        key = blobs.blob_key(parse_digest(layer.digest))
        s3.upload_file(str(layer.path), settings().bucket, key)
        blobs.link(repo, parse_digest(layer.digest), layer.size, key)
    api = ApiClient(client)
    layer_type = layer_type or (OCI_LAYER_GZIP if annotations is None else OCI_LAYER_ZSTD)
    config = config_blob([layer.digest for layer in layers])
    config_digest = api.push_blob(repo, config)
    manifest = image_manifest(
        Descriptor(OCI_CONFIG, config_digest, len(config)),
        [Descriptor(layer_type, one.digest, one.size) for one in layers],
    )
    if annotations is not None:
        document = json.loads(manifest)
        for descriptor, annotated in zip(document["layers"], annotations, strict=True):
            descriptor["annotations"] = annotated
        manifest = canonical(document)
    return api.push_manifest(repo, tag, manifest)


def _read_only(layers: list[Any]) -> float:
    """The baseline: one GET per layer, decompressed and read to the end, nothing kept."""
    from chalicelib.scanner.layer_source import open_layer
    from chalicelib.scanning.layer_reader import decompressed

    started = time.perf_counter()
    for layer in layers:
        stream = open_layer(layer.digest)
        try:
            tar = decompressed(cast(IO[bytes], stream))
            while tar.read(MiB):
                pass
        finally:
            stream.close()
    return time.perf_counter() - started


def _packages(count: int) -> tuple[Any, list[dict[str, Any]]]:
    from chalicelib.scanning.inventory import Inventory
    from chalicelib.scanning.os_release import OsRelease
    from chalicelib.scanning.package import Package

    kinds = [
        ("deb", "Debian:12", "1.{i}.0-1", "1.{i}.0-2"),
        ("pypi", "PyPI", "2.{i}.0", "2.{i}.1"),
        ("npm", "npm", "3.{i}.0", "3.{i}.1"),
        ("golang", "Go", "v4.{i}.0", "4.{i}.1"),
        ("maven", "Maven", "5.{i}.0", "5.{i}.1"),
    ]
    packages, advisories = [], []
    for i in range(count):
        kind, ecosystem, version, fixed = kinds[i % len(kinds)]
        name = f"org.bench:p{i}" if kind == "maven" else f"bench-{kind}-{i}"
        packages.append(
            Package(kind, name, version.format(i=i), f"pkg:{kind}/{i}", "bench", source_name="")
        )
        if i % 10 == 0:
            advisories.append(
                {
                    "id": f"BENCH-{i}",
                    "summary": "generated",
                    "affected": [
                        {
                            "package": {"ecosystem": ecosystem, "name": name},
                            "ranges": [
                                {
                                    "type": "ECOSYSTEM",
                                    "events": [{"introduced": "0"}, {"fixed": fixed.format(i=i)}],
                                }
                            ],
                        }
                    ],
                }
            )
    return Inventory(os=OsRelease("debian", "12"), packages=packages), advisories


def _matching(count: int) -> dict[str, Any]:
    from chalicelib.scanning.advisory_index import index_advisories
    from chalicelib.scanning.matching import match_inventory
    from chalicelib.storage import vulndb

    inventory, advisories = _packages(count)
    index = index_advisories(advisories)
    vulndb.merge(index)
    started = time.perf_counter()
    stored = match_inventory(inventory, vulndb.advisories_for)
    from_s3 = time.perf_counter() - started
    started = time.perf_counter()
    in_memory = match_inventory(inventory, lambda key: index.get(key, []))
    from_memory = time.perf_counter() - started
    if len(stored.findings) != len(advisories) or len(in_memory.findings) != len(advisories):
        raise RuntimeError(
            f"expected {len(advisories)} findings, got {len(stored.findings)} and "
            f"{len(in_memory.findings)}"
        )
    return {
        "packages": count,
        "advisories": len(advisories),
        "findings": len(stored.findings),
        "seconds_s3_index": round(from_s3, 3),
        "seconds_memory_index": round(from_memory, 3),
        "us_per_package_s3_index": round(from_s3 / count * 1e6, 1),
        "us_per_package_memory_index": round(from_memory / count * 1e6, 1),
    }


def measure(mib: int, os_packages: int, language_packages: int, match: int) -> dict[str, Any]:
    from bench.calls import in_process_registry
    from bench.scanimage import app_layer, build, build_chunked, build_stargz
    from bench.workdir import work_dir

    with in_process_registry() as client, tempfile.TemporaryDirectory(dir=work_dir()) as tmp:
        from chalicelib.scanner.run import scan_image

        started = time.perf_counter()
        layers = build(Path(tmp), mib, os_packages, language_packages)
        repo = "bench/scan"
        digest = _push(client, repo, layers)
        generated = time.perf_counter() - started
        image_bytes = sum(layer.size for layer in layers)
        read_seconds = _read_only(layers)
        rss_before = _status_kib("VmRSS")
        _reset_peak_rss()
        started = time.perf_counter()
        report = scan_image(repo, digest)
        scan_seconds = time.perf_counter() - started
        peak = _status_kib("VmHWM")
        # A rebuild of the application: the same nine lower layers, a new top one.
        top = app_layer(Path(tmp), max(1, mib // 10), 20)
        rebuilt = [*layers[:-1], top]
        rebuilt_digest = _push(client, repo, rebuilt, "v2")
        started = time.perf_counter()
        second = scan_image(repo, rebuilt_digest)
        second_seconds = time.perf_counter() - started
        # The same files as zstd:chunked layers (new digests: nothing stored for them yet).
        for layer in layers:
            layer.path.unlink()
        chunked = build_chunked(Path(tmp), mib, os_packages, language_packages)
        chunked_digest = _push(
            client, repo, [one for one, _ in chunked], "chunked", [a for _, a in chunked]
        )
        started = time.perf_counter()
        by_range = scan_image(repo, chunked_digest)
        chunked_seconds = time.perf_counter() - started
        # The same files again as eStargz layers (gzip, a TOC at the end of each).
        for one, _ in chunked:
            one.path.unlink()
        stargz = build_stargz(Path(tmp), mib, os_packages, language_packages)
        stargz_digest = _push(
            client,
            repo,
            [one for one, _ in stargz],
            "stargz",
            [a for _, a in stargz],
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
        started = time.perf_counter()
        by_stargz = scan_image(repo, stargz_digest)
        stargz_seconds = time.perf_counter() - started
        return {
            "image": {
                "layers": len(layers),
                "bytes": image_bytes,
                "os_packages": os_packages,
                "language_packages": language_packages,
                "generated_seconds": round(generated, 1),
            },
            "scan": {
                "seconds": round(scan_seconds, 2),
                "read_only_seconds": round(read_seconds, 2),
                "bytes_read": report.get("bytesRead"),
                "rss_before_mib": round(rss_before / 1024, 1),
                "peak_rss_mib": round(peak / 1024, 1),
                "packages": _package_count(report),
                "problems": len(report.get("problems") or []),
            },
            "rebuilt": {
                "layers": len(rebuilt),
                "bytes": sum(layer.size for layer in rebuilt),
                "new_layer_bytes": top.size,
                "seconds": round(second_seconds, 2),
                "bytes_read": second.get("bytesRead"),
                "layer_bytes_read": second.get("layerBytesRead"),
                "layers_read": second.get("layersRead"),
                "layers_reused": second.get("layersReused"),
                "packages": _package_count(second),
            },
            "chunked": {
                "layers": len(chunked),
                "bytes": sum(one.size for one, _ in chunked),
                "seconds": round(chunked_seconds, 2),
                "bytes_read": by_range.get("bytesRead"),
                "layers_read_by_range": by_range.get("layersReadByRange"),
                "packages": _package_count(by_range),
            },
            "stargz": {
                "layers": len(stargz),
                "bytes": sum(one.size for one, _ in stargz),
                "seconds": round(stargz_seconds, 2),
                "bytes_read": by_stargz.get("bytesRead"),
                "layers_read_by_range": by_stargz.get("layersReadByRange"),
                "packages": _package_count(by_stargz),
            },
            "matching": _matching(match),
        }


def _package_count(report: dict[str, Any]) -> int:
    packages = report.get("packages")
    return len(packages) if isinstance(packages, list) else -1


def _rows(data: dict[str, Any]) -> list[Row]:
    image, scan, matching = data["image"], data["scan"], data["matching"]
    rebuilt = data["rebuilt"]
    rebuilt_share = ratio(rebuilt["bytes_read"] or 0, rebuilt["bytes"])
    chunked = data["chunked"]
    chunked_share = ratio(chunked["bytes_read"] or 0, chunked["bytes"])
    stargz = data["stargz"]
    stargz_share = ratio(stargz["bytes_read"] or 0, stargz["bytes"])
    size_mib = image["bytes"] / MiB
    growth = scan["peak_rss_mib"] - scan["rss_before_mib"]
    read_share = ratio(scan["bytes_read"] or 0, image["bytes"])
    return [
        Row(
            f"scan: {size_mib:.0f} MiB, {image['layers']} layers, {image['os_packages']} OS + "
            f"{image['language_packages']} language packages ({scan['packages']} found)",
            f"{scan['seconds']} s",
            baseline=f"{scan['read_only_seconds']} s reading and gunzipping the layers only",
            ratio=f"{ratio(scan['seconds'], scan['read_only_seconds'])}x",
            target=f"< {SCAN_TARGET_S:g} s",
            verdict=verdict(scan["seconds"] < SCAN_TARGET_S),
        ),
        Row(
            "scan: peak RSS growth while scanning",
            f"{growth:.0f} MiB (peak {scan['peak_rss_mib']:.0f} MiB)",
            baseline=f"{scan['rss_before_mib']:.0f} MiB before the scan (moto and the app)",
            ratio=f"{ratio(scan['peak_rss_mib'], scan['rss_before_mib'])}x",
            target=f"< {RSS_TARGET_MIB} MiB",
            verdict=verdict(growth < RSS_TARGET_MIB),
        ),
        Row(
            "scan: bytes read from S3",
            f"{(scan['bytes_read'] or 0) / MiB:.1f} MiB",
            baseline=f"{size_mib:.1f} MiB image (compressed layers)",
            ratio=f"{read_share}x",
            target="well under 1x",
            verdict=verdict(read_share is not None and read_share < 0.5),
        ),
        Row(
            f"scan of a rebuild sharing {rebuilt['layers_reused']} of {rebuilt['layers']} "
            f"layers: bytes read from S3 ({rebuilt['layers_read']} layer read, the rest "
            "from the stored changes of the layers the first scan read)",
            f"{(rebuilt['bytes_read'] or 0) / MiB:.1f} MiB in {rebuilt['seconds']} s",
            baseline=f"{rebuilt['bytes'] / MiB:.1f} MiB image (compressed layers)",
            ratio=f"{rebuilt_share}x",
            target="well under 1x",
            verdict=verdict(rebuilt_share is not None and rebuilt_share < 0.5),
        ),
        Row(
            f"scan of the same image as zstd:chunked layers ({chunked['layers_read_by_range']} "
            f"read by their TOC, {chunked['packages']} packages found): bytes read from S3",
            f"{(chunked['bytes_read'] or 0) / MiB:.1f} MiB in {chunked['seconds']} s",
            baseline=f"{chunked['bytes'] / MiB:.1f} MiB image (compressed layers)",
            ratio=f"{chunked_share}x",
            target="well under 1x",
            verdict=verdict(chunked_share is not None and chunked_share < 0.5),
        ),
        Row(
            f"scan of the same image as eStargz layers ({stargz['layers_read_by_range']} "
            f"read by their TOC, {stargz['packages']} packages found): bytes read from S3",
            f"{(stargz['bytes_read'] or 0) / MiB:.1f} MiB in {stargz['seconds']} s",
            baseline=f"{stargz['bytes'] / MiB:.1f} MiB image (compressed layers)",
            ratio=f"{stargz_share}x",
            target="well under 1x",
            verdict=verdict(stargz_share is not None and stargz_share < 0.5),
        ),
        Row(
            f"matching {matching['packages']} packages ({matching['advisories']} advisories, "
            f"{matching['findings']} findings): time per package, index in S3",
            f"{matching['us_per_package_s3_index']} us",
            baseline=f"{matching['us_per_package_memory_index']} us with the index in memory",
            ratio=f"{ratio(matching['seconds_s3_index'], matching['seconds_memory_index'])}x",
        ),
    ]


def child_result(mib: int, os_packages: int, language_packages: int, match: int) -> dict[str, Any]:
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scanbench",
            "--mib",
            str(mib),
            "--os-packages",
            str(os_packages),
            "--language-packages",
            str(language_packages),
            "--match",
            str(match),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return data


def run(
    mib: int = 1024, os_packages: int = 500, language_packages: int = 300, match: int = 10_000
) -> Section:
    data = child_result(mib, os_packages, language_packages, match)
    section = Section(NAME, TITLE, rows=_rows(data), data=data)
    section.notes.append(
        "one process holds moto and the scanner, as in the other in-process benches; S3 reads "
        "are moto's speed, not S3's. A first scan streams every layer it has not seen whole "
        "(one GET each): its bytes read equal the image size. A layer any scan has read is "
        "not read again: what it keeps is stored under its digest (see docs/scanning.md)."
    )
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scanbench", description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--os-packages", type=int, default=500)
    parser.add_argument("--language-packages", type=int, default=300)
    parser.add_argument("--match", type=int, default=10_000)
    args = parser.parse_args(argv)
    data = measure(args.mib, args.os_packages, args.language_packages, args.match)
    print(json.dumps(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
