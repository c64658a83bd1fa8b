"""Reading sources into push plans: OCI layouts, oci-archives, docker save tarballs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from berth.client.media_types import (
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_LAYER_GZIP,
    OCI_LAYER_TAR,
    OCI_MANIFEST,
)
from berth.push.content import PushPlan
from berth.push.errors import ExitCode, PushError
from berth.push.source import open_source
from tests.e2e.images import read_blob, write_archive, write_image, write_index
from tests.push.dockersave import write_docker_save


def plan_of(source: str | Path, **options: bool) -> PushPlan:
    with open_source(str(source), **options) as plan:
        for blob in plan.blobs:  # the ranges are read while the source is open
            assert blob.content.sha256() == blob.digest
        return plan


def test_layout_directory(tmp_path: Path) -> None:
    image = write_image(tmp_path / "layout", "v1", layer_sizes=(1000, 2000))
    plan = plan_of(tmp_path / "layout")
    assert [m.digest for m in plan.manifests] == [image.manifest.digest]
    assert plan.top.data == image.manifest_bytes
    assert {b.digest for b in plan.blobs} == {d.digest for d in image.blobs}
    assert plan.total_bytes == sum(d.size for d in image.blobs)


def test_oci_archive_reads_blobs_in_place(tmp_path: Path) -> None:
    image = write_image(tmp_path / "layout", "v1", layer_sizes=(3000,))
    archive = write_archive(tmp_path / "layout", tmp_path / "image.tar")
    with open_source(str(archive)) as plan:
        layer = next(b for b in plan.blobs if b.digest == image.layers[0].digest)
        assert layer.content.path == archive  # a range of the tar: nothing extracted
        data = layer.content.read(0, layer.size)
    assert data == read_blob(image.layout, image.layers[0].digest)


def test_index_children_come_first(tmp_path: Path) -> None:
    index = write_index(tmp_path / "layout", "multi")
    plan = plan_of(tmp_path / "layout")
    assert plan.top.digest == index.index.digest
    assert [m.digest for m in plan.manifests[:-1]] == [c.manifest.digest for c in index.children]
    assert len(plan.blobs) == 2 * 2  # a config and a layer per platform


def test_name_picks_one_image_of_several(tmp_path: Path) -> None:
    write_image(tmp_path / "layout", "a")
    b = write_image(tmp_path / "layout", "b")
    with pytest.raises(PushError) as error:
        plan_of(tmp_path / "layout")
    assert error.value.code is ExitCode.SOURCE_INVALID
    assert "a, b" in error.value.message
    assert plan_of(f"{tmp_path / 'layout'}:b").top.digest == b.manifest.digest


@pytest.mark.parametrize("gzip_tarball", [False, True])
def test_docker_save_keeps_layer_bytes(tmp_path: Path, gzip_tarball: bool) -> None:
    saved = write_docker_save(tmp_path / "s.tar", (5000, 7000), gzip_tarball=gzip_tarball)
    plan = plan_of(saved.path)
    manifest = json.loads(plan.top.data)
    assert plan.top.media_type == OCI_MANIFEST
    assert hashlib.sha256(plan.top.data).hexdigest() == plan.top.digest.split(":")[1]
    assert manifest["config"]["mediaType"] == OCI_CONFIG
    assert manifest["config"]["digest"] == "sha256:" + hashlib.sha256(saved.config).hexdigest()
    assert [layer["mediaType"] for layer in manifest["layers"]] == [OCI_LAYER_TAR] * 2
    expected = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in saved.layers]
    assert [layer["digest"] for layer in manifest["layers"]] == expected
    assert [layer["size"] for layer in manifest["layers"]] == [len(x) for x in saved.layers]


def test_docker_save_in_docker_format_needs_gzip_layers(tmp_path: Path) -> None:
    gzipped = write_docker_save(tmp_path / "g.tar", gzip_layers=True)
    plan = plan_of(gzipped.path, docker_format=True)
    assert plan.top.media_type == DOCKER_MANIFEST
    assert json.loads(plan.top.data)["layers"][0]["mediaType"] == DOCKER_LAYER_GZIP
    assert json.loads(plan_of(gzipped.path).top.data)["layers"][0]["mediaType"] == OCI_LAYER_GZIP
    plain = write_docker_save(tmp_path / "p.tar")
    with pytest.raises(PushError, match="not gzipped"):
        plan_of(plain.path, docker_format=True)


def test_docker_save_tag_selection(tmp_path: Path) -> None:
    saved = write_docker_save(tmp_path / "s.tar", repo_tags=("demo:v1", "demo:v2"))
    assert plan_of(f"{saved.path}:v2").top.digest == plan_of(saved.path).top.digest
    with pytest.raises(PushError, match="no image tagged"):
        plan_of(f"{saved.path}:v3")


@pytest.mark.parametrize(
    "breakage",
    ["missing blob", "not a source", "no path", "truncated blob", "bad index"],
)
def test_invalid_sources(tmp_path: Path, breakage: str) -> None:
    image = write_image(tmp_path / "layout", "v1")
    layer = tmp_path / "layout" / "blobs" / "sha256" / image.layers[0].digest.split(":")[1]
    source: Path = tmp_path / "layout"
    if breakage == "missing blob":
        layer.unlink()
    elif breakage == "not a source":
        source = tmp_path / "empty"
        source.mkdir()
    elif breakage == "no path":
        source = tmp_path / "nowhere"
    elif breakage == "truncated blob":
        layer.write_bytes(layer.read_bytes()[:10])
    else:
        (tmp_path / "layout" / "index.json").write_text("{")
    with pytest.raises(PushError) as error:
        plan_of(source)
    assert error.value.code is ExitCode.SOURCE_INVALID


def test_docker_25_save_is_read_as_its_oci_layout(tmp_path: Path) -> None:
    """docker 25+ saves an OCI layout and a manifest.json beside it: the layout is exact."""
    image = write_image(tmp_path / "layout", "v1")
    (tmp_path / "layout" / "manifest.json").write_text(
        json.dumps([{"Config": "nowhere.json", "RepoTags": ["demo:v1"], "Layers": []}])
    )
    archive = write_archive(tmp_path / "layout", tmp_path / "saved.tar")
    assert plan_of(archive).top.digest == image.manifest.digest
