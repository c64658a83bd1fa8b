"""A zstd:chunked layer written by the real tool (`buildah push --compression-format
zstd:chunked`, storage of its own under tmp_path) scans by its TOC: the package database of
this machine and a Python package found, by ranged reads of a fraction of the layer, the same
as reading it whole."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from chalicelib.scanning.inventory import inventory_of_layers
from tests.api.helpers import Pushed, push
from tests.scanning.layers import stream

pytestmark = pytest.mark.e2e
SITE = "usr/lib/python3/dist-packages"


def _buildah(tmp: Path, *args: str) -> str:
    storage = [
        "--root",
        str(tmp / "root"),
        "--runroot",
        str(tmp / "run"),
        "--storage-driver",
        "vfs",
    ]
    done = subprocess.run(["buildah", *storage, *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _build(tmp: Path, tag: str) -> tuple[bytes, dict[str, Any], dict[Path, bytes]]:
    """A one-layer image with this machine's dpkg status, os-release, a Python package and
    8 MB of data nobody needs, pushed zstd:chunked to an OCI layout."""
    files = tmp / "files"
    for path, data in [
        ("var/lib/dpkg/status", Path("/var/lib/dpkg/status").read_bytes()),
        ("etc/os-release", Path("/etc/os-release").read_bytes()),
        (
            f"{SITE}/chunked_{tag}-1.2.3.dist-info/METADATA",
            f"Name: chunked-{tag}\nVersion: 1.2.3\n".encode(),
        ),
        ("usr/share/data/filler.bin", os.urandom(8 * 1024 * 1024)),
    ]:
        (files / path).parent.mkdir(parents=True, exist_ok=True)
        (files / path).write_bytes(data)
    container = _buildah(tmp, "from", "scratch")
    _buildah(tmp, "copy", container, f"{files}/", "/")
    _buildah(tmp, "commit", "-q", container, f"chunked-{tag}")
    layout = tmp / "oci"
    _buildah(
        tmp,
        "push",
        "--compression-format",
        "zstd:chunked",
        f"chunked-{tag}",
        f"oci:{layout}:latest",
    )
    index = json.loads((layout / "index.json").read_text())
    blob = lambda digest: (layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes()  # noqa: E731
    body = blob(index["manifests"][0]["digest"])
    manifest = json.loads(body)
    return (
        body,
        manifest,
        {Path(d["digest"]): blob(d["digest"]) for d in [manifest["config"], *manifest["layers"]]},
    )


def test_a_layer_buildah_pushed_zstd_chunked_is_read_by_its_toc(
    client: Any, repo: str, tmp_path: Path
) -> None:
    from chalicelib.scanner.run import scan_image

    tag = uuid.uuid4().hex[:10]
    body, manifest, blobs = _build(tmp_path, tag)
    (layer,) = manifest["layers"]
    annotations = layer.get("annotations", {})
    assert any(k.endswith("zstd-chunked.manifest-position") for k in annotations), manifest
    pushed = Pushed(body, manifest["mediaType"], list(blobs.values()), manifest)
    push(client, repo, pushed, "chunked")
    report = scan_image(repo, pushed.digest)
    assert (report["layersRead"], report["layersReadByRange"]) == (1, 1)
    layer_bytes = blobs[Path(layer["digest"])]
    assert report["layerBytesRead"] < len(layer_bytes) / 4, (
        report["layerBytesRead"],
        len(layer_bytes),
    )
    full = inventory_of_layers([stream(layer_bytes)])
    found = sorted((p["name"], p["version"]) for p in report["packages"])
    assert found == sorted((p.name, p.version) for p in full.packages)
    assert (f"chunked-{tag}", "1.2.3") in found
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    debs = {(p["name"], p["version"]) for p in report["packages"] if p["kind"] == "deb"}
    assert debs == {tuple(line.split(" ", 1)) for line in listed if line}
