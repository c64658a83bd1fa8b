"""A layer is read once by any scan: what it keeps is stored under its digest
(chalicelib/storage/scanned_layers.py), so an image built on a scanned base reads only its new
layers from S3, and whiteouts still apply in layer order across stored and freshly read layers.
S3 bytes are counted through a wrapper of the real (moto) client."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.oci.digest import parse_digest
from chalicelib.scanner.run import scan_image
from chalicelib.scanning.inventory import inventory_of_layers
from chalicelib.storage import aws, blobs, scanned_layers
from tests.api.helpers import digest_of, push
from tests.scanning.advisories import DEBIAN_STATUS
from tests.scanning.layers import layer, stream
from tests.scanning.test_inventory import DEBIAN_OS
from tests.scanning.test_scan_api import OCI_LAYER_GZIP, OCI_LAYER_ZSTD, SITE, image_of


class _CountingBody:
    def __init__(self, body: Any, key: str, counted: Counter[str]) -> None:
        self._body, self._key, self._counted = body, key, counted

    def read(self, size: int | None = None) -> bytes:
        data: bytes = self._body.read(size)
        self._counted[self._key] += len(data)
        return data

    def close(self) -> None:
        self._body.close()


class _CountingS3:
    """The real client; every get_object body counts the bytes read from it, per key."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.counted: Counter[str] = Counter()

    def get_object(self, **kwargs: Any) -> Any:
        result = self._client.get_object(**kwargs)
        result["Body"] = _CountingBody(result["Body"], kwargs["Key"], self.counted)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def s3_reads(monkeypatch: pytest.MonkeyPatch) -> _CountingS3:
    counting = _CountingS3(aws.s3())
    monkeypatch.setattr(aws, "s3", lambda: counting)
    return counting


def _python(name: str, version: str = "1.0.0") -> tuple[str, bytes]:
    return (
        f"{SITE}/{name}-{version}.dist-info/METADATA",
        f"Name: {name}\nVersion: {version}\n".encode(),
    )


def _layer_bytes(reads: _CountingS3) -> dict[str, int]:
    return {key: n for key, n in reads.counted.items() if key.startswith("blobs/")}


def _packages(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((p["name"], p["version"]) for p in report["packages"])


def test_an_image_sharing_three_of_four_layers_reads_only_the_fourth(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    tag = uuid.uuid4().hex[:10]  # layers no other test has scanned
    # Each layer unique to this test (the Debian files alone are in other tests' images).
    base = layer(
        [
            ("etc/os-release", DEBIAN_OS),
            ("var/lib/dpkg/status", DEBIAN_STATUS),
            ("etc/id", tag.encode()),
        ]
    )
    python = layer([_python(f"kept-{tag}"), _python(f"removed-{tag}")], "zstd")
    node = layer(
        [
            ("app/node_modules/lodash/package.json", b'{"name":"lodash","version":"4.17.20"}'),
            ("app/id", tag.encode()),
        ]
    )
    first_top = layer([_python(f"first-{tag}")])
    # The second image's own layer deletes a package a shared (stored) layer added, and
    # upgrades another: the whiteout must hide the stored layer's file.
    second_top = layer(
        [
            (f"{SITE}/.wh.removed-{tag}-1.0.0.dist-info", b""),
            (f"{SITE}/.wh.kept-{tag}-1.0.0.dist-info", b""),
            _python(f"kept-{tag}", "2.0.0"),
        ]
    )
    shared = [(OCI_LAYER_GZIP, base), (OCI_LAYER_ZSTD, python), (OCI_LAYER_GZIP, node)]
    first = image_of([*shared, (OCI_LAYER_GZIP, first_top)])
    second = image_of([*shared, (OCI_LAYER_GZIP, second_top)])
    push(client, repo, first, "first")
    push(client, repo, second, "second")

    s3_reads.counted.clear()
    report = scan_image(repo, first.digest)
    every = [base, python, node, first_top]
    assert _layer_bytes(s3_reads) == {
        blobs.blob_key(parse_digest(digest_of(b))): len(b) for b in every
    }
    assert report["layersRead"] == 4 and report["layersReused"] == 0
    assert report["layerBytesRead"] == report["bytesRead"] == sum(len(b) for b in every)

    s3_reads.counted.clear()
    report = scan_image(repo, second.digest)
    # Only the fourth layer's bytes: the three shared ones come from their stored changes.
    assert _layer_bytes(s3_reads) == {
        blobs.blob_key(parse_digest(digest_of(second_top))): len(second_top)
    }
    assert report["layersRead"] == 1 and report["layersReused"] == 3
    assert report["layerBytesRead"] == len(second_top)
    stored = sum(n for key, n in s3_reads.counted.items() if key.startswith("scans/layers/"))
    assert report["bytesRead"] == len(second_top) + stored
    # Exactly what reading all four layers whole finds.
    full = inventory_of_layers(stream(b) for b in [base, python, node, second_top])
    assert _packages(report) == sorted((p.name, p.version) for p in full.packages)
    names = dict(_packages(report))
    assert names[f"kept-{tag}"] == "2.0.0"
    assert f"removed-{tag}" not in names and f"first-{tag}" not in names
    assert {"zlib1g", "lodash"} <= set(names)


def test_a_damaged_stored_layer_is_read_again(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    tag = uuid.uuid4().hex[:10]
    only = layer([_python(f"pkg-{tag}")])
    image = image_of([(OCI_LAYER_GZIP, only)])
    push(client, repo, image, "1")
    digest = parse_digest(digest_of(only))
    aws.s3().put_object(
        Bucket=settings().bucket, Key=scanned_layers.changes_key(digest), Body=b"not zlib"
    )
    report = scan_image(repo, image.digest)
    assert report["layersRead"] == 1 and report["layerBytesRead"] == len(only)
    assert (f"pkg-{tag}", "1.0.0") in _packages(report)
    # ...and stored again, readable this time.
    again = scanned_layers.get(digest)
    assert again is not None and sorted(again[0].files) == [_python(f"pkg-{tag}")[0]]


def _chunked_image(layer: Any, annotations: dict[str, str]) -> Any:
    from tests.api.helpers import OCI_CONFIG, Pushed, canonical, config_blob, descriptor

    config = config_blob()
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(OCI_CONFIG, config),
        "layers": [descriptor(OCI_LAYER_ZSTD, layer.blob, annotations=annotations)],
    }
    return Pushed(canonical(document), document["mediaType"], [config, layer.blob], document)


def _chunked(tag: str) -> Any:
    import os

    from tests.scanning.zstd_chunked_layer import chunked_layer

    return chunked_layer(
        [
            ("etc/os-release", DEBIAN_OS),
            ("var/lib/dpkg/status", DEBIAN_STATUS),
            _python(f"chunked-{tag}"),
            ("usr/share/filler.bin", os.urandom(2 * 1024 * 1024)),
        ]
    )


def test_a_zstd_chunked_layer_is_read_by_its_toc(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    tag = uuid.uuid4().hex[:10]
    layer = _chunked(tag)
    image = _chunked_image(layer, layer.annotations)
    push(client, repo, image, "chunked")
    s3_reads.counted.clear()
    report = scan_image(repo, image.digest)
    assert (report["layersRead"], report["layersReadByRange"]) == (1, 1)
    key = blobs.blob_key(parse_digest(digest_of(layer.blob)))
    assert report["layerBytesRead"] == s3_reads.counted[key] < len(layer.blob) / 10
    full = inventory_of_layers([stream(layer.blob)])
    assert _packages(report) == sorted((p.name, p.version) for p in full.packages)
    assert (f"chunked-{tag}", "1.0.0") in _packages(report)


def test_a_toc_that_does_not_check_out_is_read_whole(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    from tests.scanning.zstd_chunked_layer import PREFIX

    tag = uuid.uuid4().hex[:10]
    layer = _chunked(tag)
    lying = {**layer.annotations, PREFIX + "manifest-checksum": "sha256:" + "0" * 64}
    image = _chunked_image(layer, lying)
    push(client, repo, image, "lying")
    report = scan_image(repo, image.digest)
    assert (report["layersRead"], report["layersReadByRange"]) == (1, 0)
    toc = int(layer.annotations[PREFIX + "manifest-position"].split(":")[1])
    assert report["layerBytesRead"] == len(layer.blob) + toc  # the TOC, then the whole layer
    assert (f"chunked-{tag}", "1.0.0") in _packages(report)


def test_gc_deletes_the_layer_blob_and_keeps_its_stored_changes(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    """By decision (docs/scanning.md): a layer's stored changes are keyed by its digest, so
    they stay true of any later blob with that digest, and are a few KB; garbage collection
    deletes the blob and leaves them, and the same layer pushed again is not read again."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.gc.collect import collect

    tag = uuid.uuid4().hex[:10]
    only = layer([_python(f"gone-{tag}"), ("etc/id", tag.encode())])
    pushed = image_of([(OCI_LAYER_GZIP, only)])
    push(client, repo, pushed, "1.0")
    assert scan_image(repo, pushed.digest)["layersRead"] == 1
    layer_digest = parse_digest(digest_of(only))
    assert client.http.delete(f"/v2/{repo}/manifests/{pushed.digest}").status_code == 202
    assert client.http.delete(f"/v2/{repo}/blobs/{layer_digest}").status_code == 202
    collect(now=datetime.now(UTC) + timedelta(days=3), full=True)

    s3 = aws.s3()
    listed = s3.list_objects_v2(Bucket=settings().bucket, Prefix=blobs.blob_key(layer_digest))
    assert listed.get("KeyCount", 0) == 0, "the layer blob was collected"
    assert scanned_layers.get(layer_digest) is not None, "its stored changes stay"

    push(client, repo, pushed, "again")
    s3_reads.counted.clear()
    report = scan_image(repo, pushed.digest)
    assert (report["layersRead"], report["layersReused"], report["layerBytesRead"]) == (0, 1, 0)
    assert _layer_bytes(s3_reads) == {}
    assert [p["name"] for p in report["packages"]] == [f"gone-{tag}"]


def _stargz(tag: str) -> Any:
    import os

    from tests.scanning.estargz_layer import stargz_layer

    return stargz_layer(
        [
            ("etc/os-release", DEBIAN_OS),
            ("var/lib/dpkg/status", DEBIAN_STATUS),
            _python(f"stargz-{tag}"),
            ("usr/share/filler.bin", os.urandom(2 * 1024 * 1024)),
        ]
    )


def _stargz_image(layer: Any, annotations: dict[str, str]) -> Any:
    from tests.api.helpers import OCI_CONFIG, Pushed, canonical, config_blob, descriptor

    config = config_blob()
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(OCI_CONFIG, config),
        "layers": [descriptor(OCI_LAYER_GZIP, layer.blob, annotations=annotations)],
    }
    return Pushed(canonical(document), document["mediaType"], [config, layer.blob], document)


def test_an_estargz_layer_is_read_by_its_toc(client: Any, repo: str, s3_reads: _CountingS3) -> None:
    tag = uuid.uuid4().hex[:10]
    layer = _stargz(tag)
    image = _stargz_image(layer, layer.annotations)
    push(client, repo, image, "stargz")
    s3_reads.counted.clear()
    report = scan_image(repo, image.digest)
    assert (report["layersRead"], report["layersReadByRange"]) == (1, 1)
    key = blobs.blob_key(parse_digest(digest_of(layer.blob)))
    assert report["layerBytesRead"] == s3_reads.counted[key] < len(layer.blob) / 50
    full = inventory_of_layers([stream(layer.blob)])
    assert _packages(report) == sorted((p.name, p.version) for p in full.packages)
    assert (f"stargz-{tag}", "1.0.0") in _packages(report)
    assert report["os"] == "Debian GNU/Linux 12 (bookworm)"


def test_an_estargz_toc_that_does_not_check_out_is_read_whole(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    from tests.scanning.estargz_layer import TOC_DIGEST

    tag = uuid.uuid4().hex[:10]
    layer = _stargz(tag)
    image = _stargz_image(layer, {TOC_DIGEST: "sha256:" + "0" * 64})
    push(client, repo, image, "lying")
    report = scan_image(repo, image.digest)
    assert (report["layersRead"], report["layersReadByRange"]) == (1, 0)
    toc = len(layer.blob) - layer.toc_offset  # the footer and the TOC, then the whole layer
    assert report["layerBytesRead"] == len(layer.blob) + toc
    assert (f"stargz-{tag}", "1.0.0") in _packages(report)


def test_an_estargz_layer_whose_descriptor_size_is_wrong_is_read_whole(
    client: Any, repo: str, s3_reads: _CountingS3
) -> None:
    """The footer is found from the descriptor's size: past the blob's end, the ranged GET is
    refused (416), which is not a fault to retry forever but a layer to read whole."""
    from tests.api.helpers import OCI_CONFIG, Pushed, canonical, config_blob, descriptor

    tag = uuid.uuid4().hex[:10]
    layer = _stargz(tag)
    config = config_blob()
    wrong = {**descriptor(OCI_LAYER_GZIP, layer.blob, annotations=layer.annotations)}
    wrong["size"] = len(layer.blob) + 4096
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(OCI_CONFIG, config),
        "layers": [wrong],
    }
    image = Pushed(canonical(document), document["mediaType"], [config, layer.blob], document)
    push(client, repo, image, "wrong-size")
    report = scan_image(repo, image.digest)
    assert (report["layersRead"], report["layersReadByRange"]) == (1, 0)
    assert report["layerBytesRead"] == len(layer.blob)
    assert (f"stargz-{tag}", "1.0.0") in _packages(report)
