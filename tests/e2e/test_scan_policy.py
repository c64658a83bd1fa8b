"""A scan pull policy against a real client: skopeo is refused an image whose scan found a
CRITICAL advisory, with the registry's reason (the advisory, its package, the command for an
exception), and pulls it once that very command has put the advisory on the allow-list. The
advisory is loaded with `berth vulndb import` and the image scanned with `berth scan`, as a
person would."""

from __future__ import annotations

import gzip
import json
import shlex
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.e2e.images import (
    CREATED,
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    _init_layout,
    _tag,
    _write_blob,
    sha256,
)
from tests.e2e.support import Registry, run, skopeo_push
from tests.scanning.layers import tar_bytes
from tests.scanning.unique_package import advisory, unique_name

pytestmark = pytest.mark.e2e


def _berth(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "berth.cli", *args], check=check)


def _python_image(layout: Path, name: str) -> str:
    """An OCI layout whose one layer holds the dist-info of Python package `name` 1.0.0."""
    _init_layout(layout)
    metadata = f"Name: {name}\nVersion: 1.0.0\n".encode()
    tar = tar_bytes([(f"usr/lib/python3/dist-packages/{name}-1.0.0.dist-info/METADATA", metadata)])
    layer = _write_blob(layout, gzip.compress(tar, mtime=0), OCI_LAYER)
    config = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
    }
    config_blob = _write_blob(layout, json.dumps(config).encode(), OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.to_json(),
        "layers": [layer.to_json()],
    }
    descriptor = _write_blob(layout, json.dumps(manifest).encode(), OCI_MANIFEST)
    _tag(layout, descriptor, "v1")
    return f"oci:{layout}:v1"


def test_skopeo_is_refused_with_the_reason_then_allowed_after_an_exception(
    registry: Registry, scratch: Path
) -> None:
    repository = f"scanned/{uuid.uuid4().hex[:12]}"
    name = unique_name()
    advisory_id = f"PYSEC-{name}"
    where = ["--registry", f"http://{registry.host}"]
    export = scratch / "PyPI-all.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr(f"{advisory_id}.json", json.dumps(advisory(advisory_id, name, "CRITICAL")))
    # No rescan: it would scan the other tests' images in this shared server meanwhile, and
    # their webhooks would see the scanner's referrers and scan events.
    _berth("vulndb", "import", str(export), "--no-rescan", *where)
    skopeo_push(_python_image(scratch / "src", name), registry.docker(repository, "v1"))
    # --rescan: the push's own scan (berth serve scans on push) ran before the import.
    scanned = _berth("scan", f"{repository}:v1", "--rescan", *where)
    assert advisory_id in scanned.stdout
    _berth("scan", "policy", "set", repository, "--severity", "HIGH", *where)

    pull = [
        "skopeo",
        "copy",
        "--src-tls-verify=false",
        registry.docker(repository, "v1"),
        f"oci:{scratch / 'out'}:v1",
    ]
    refused = run(pull, check=False)
    assert refused.returncode != 0
    assert f"{advisory_id} ({name}, CRITICAL)" in refused.stderr, refused.stderr
    assert "berth scan policy allow" in refused.stderr, refused.stderr

    # The exception is the command the refusal names, with a date and a reason filled in.
    named = refused.stderr.split("a repository admin runs: ", 1)[1].split(" --until")[0]
    command = shlex.split(named)
    assert command[:5] == ["berth", "scan", "policy", "allow", repository]
    assert command[5] == advisory_id
    _berth(*command[1:], "--until", "2999-12-31", "--reason", "not reachable here", *where)
    run(pull)
