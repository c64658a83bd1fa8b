"""`berth push` against `berth serve --lambda-limits`: chunked uploads of a layer larger than a
Lambda request, pulled back byte for byte by skopeo; a multi-platform index; a resumed push;
a docker save tarball; mounts; exit codes a CI job can act on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from berth.push.http import FAIL_AFTER_ENV
from tests.e2e.images import layout_blobs, layout_manifest, sha256, write_image, write_index
from tests.e2e.support import Registry, new_repository, run
from tests.push.conftest import berth_push, pushed
from tests.push.dockersave import write_docker_save

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


def pull(registry: Registry, repository: str, reference: str, into: Path, *opts: str) -> None:
    source = registry.docker(repository, reference)
    run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", *opts, source, f"oci:{into}:x"])


def patches(registry: Registry, repository: str) -> int:
    return sum(
        1
        for r in registry.log_records()
        if r.get("message") == "request"
        and r.get("method") == "PATCH"
        and f"/v2/{repository}/" in str(r.get("path"))
    )


def test_large_layers_chunked_under_lambda_limits(limited: Registry, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(60_000, 9 * MiB, 3 * MiB))
    repository = new_repository("push")
    result = berth_push(
        image.layout, f"{limited.host}/{repository}:v1", "--state", tmp_path / "state",
        "--upload", "standard",
    )  # fmt: skip
    assert pushed(result) == image.manifest.digest
    assert "uploading 9.0 MiB" in result.stderr and "4 uploaded" in result.stderr
    assert patches(limited, repository) >= 2  # 9 MiB went in 4 MiB chunks
    pull(limited, repository, "v1", tmp_path / "pulled")
    assert layout_manifest(tmp_path / "pulled", "x").digest == image.manifest.digest
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(image.layout)
    assert not list((tmp_path / "state").glob("uploads-*.json")) or not json.loads(
        next((tmp_path / "state").glob("uploads-*.json")).read_text()
    )


def test_multi_platform_index(limited: Registry, tmp_path: Path) -> None:
    index = write_index(tmp_path / "src", "multi", layer_sizes=(20_000, 5 * MiB))
    repository = new_repository("push")
    result = berth_push(index.layout, f"{limited.host}/{repository}:multi", "-q")
    assert pushed(result) == index.index.digest
    assert result.stderr == ""  # quiet
    raw = run(["skopeo", "inspect", "--raw", "--tls-verify=false",
               limited.docker(repository, "multi")]).stdout  # fmt: skip
    assert raw.encode() == index.index_bytes
    pull(limited, repository, "multi", tmp_path / "pulled", "--all")
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(index.layout)


def test_interrupted_push_resumes(limited: Registry, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(10 * MiB,))
    target = f"{limited.host}/{new_repository('push')}:v1"
    state = tmp_path / "state"
    standard = ("--upload", "standard")
    broken = berth_push(
        image.layout, target, "--state", state, "-j", "1", *standard,
        env={FAIL_AFTER_ENV: str(6 * MiB)},
    )  # fmt: skip
    assert broken.returncode == 6, broken.stderr
    assert "run again to resume" in broken.stderr
    recorded = json.loads(next(state.glob("uploads-*.json")).read_text())
    assert recorded[image.layers[0].digest]["offset"] == 4 * MiB
    resumed = berth_push(image.layout, target, "--state", state, *standard)
    assert pushed(resumed) == image.manifest.digest
    assert "resuming at 4.0 MiB" in resumed.stderr
    sent = re.search(r"uploaded ([\d.]+) MiB in", resumed.stderr)
    assert sent is not None and float(sent.group(1)) < 7  # not the whole 10 MiB again
    pull(limited, target.split("/", 1)[1].rsplit(":", 1)[0], "v1", tmp_path / "pulled")
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(image.layout)


def test_docker_save_tarball(limited: Registry, tmp_path: Path) -> None:
    saved = write_docker_save(tmp_path / "s.tar", (6 * MiB, 30_000), gzip_layers=True)
    repository = new_repository("push")
    digest = pushed(berth_push(saved.path, f"{limited.host}/{repository}:v1", "--format", "docker"))
    raw = run(["skopeo", "inspect", "--raw", "--tls-verify=false",
               limited.docker(repository, "v1")]).stdout  # fmt: skip
    manifest = json.loads(raw)
    assert sha256(raw.encode()) == digest
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert limited.blob(repository, manifest["config"]["digest"]) == saved.config
    stored = [limited.blob(repository, layer["digest"]) for layer in manifest["layers"]]
    assert tuple(stored) == saved.layers
    pull(limited, repository, "v1", tmp_path / "pulled")  # skopeo takes it as an image


def test_second_repository_mounts(limited: Registry, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(50_000,))
    first, second = new_repository("push"), new_repository("push")
    pushed(berth_push(image.layout, f"{limited.host}/{first}:v1", "--state", tmp_path / "a"))
    # another machine (no shared state): told where to mount from
    result = berth_push(
        image.layout, f"{limited.host}/{second}:v1", "--mount-from", first, "--state", tmp_path
    )
    assert pushed(result) == image.manifest.digest
    assert "0 uploaded, 0 already there, 2 mounted" in result.stderr
    again = berth_push(image.layout, f"{limited.host}/{second}:v1", "--state", tmp_path)
    assert "0 uploaded, 2 already there" in pushed(again) + again.stderr
    # the first machine remembers where its blobs went: a third repository mounts by itself
    third = berth_push(image.layout, f"{limited.host}/{new_repository('push')}:v1", "--state",
                       tmp_path / "a")  # fmt: skip
    assert "0 uploaded, 0 already there, 2 mounted" in third.stderr
    assert f"mounted from {first}" in pushed(third) + third.stderr


def test_exit_codes(limited: Registry, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(5 * MiB,))
    repository = new_repository("push")
    no_source = berth_push(tmp_path / "nowhere", f"{limited.host}/{repository}")
    assert no_source.returncode == 3 and "nowhere" in no_source.stderr, no_source.stderr
    bad_name = berth_push(image.layout, f"{limited.host}/Bad:v1")
    assert bad_name.returncode == 2 and "Bad" in bad_name.stderr, bad_name.stderr
    unreachable = berth_push(image.layout, "127.0.0.1:9/app:v1")
    assert unreachable.returncode == 6 and "127.0.0.1:9" in unreachable.stderr, unreachable.stderr
    too_big = berth_push(
        image.layout, f"{limited.host}/{repository}:v1", "--chunk-size", "0", "--upload", "standard"
    )
    assert too_big.returncode == 5  # one 5 MiB request: over the Lambda limit
    assert "berth push" in too_big.stderr and "413" in too_big.stderr


def test_stock_skopeo_is_refused_where_berth_push_succeeds(
    limited: Registry, tmp_path: Path
) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(5 * MiB,))
    repository = new_repository("push")
    source, destination = f"oci:{image.layout}:v1", limited.docker(repository, "v1")
    refused = run(["skopeo", "copy", "--dest-tls-verify=false", source, destination], check=False)
    assert refused.returncode != 0
    assert "size invalid" in refused.stderr.lower()
    assert "berth push" in refused.stderr
    assert pushed(berth_push(image.layout, f"{limited.host}/{repository}:v1", "-q"))
