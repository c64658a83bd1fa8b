"""Scanning through the API (chalice.test.Client on the real app, moto behind it): advisories
imported by batch, images pushed with real layers, findings answered in ECR's shape; an index
scans each platform; storage holds one result per digest."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.api.helpers import OCI_CONFIG, Pushed, canonical, config_blob, descriptor, index, push
from tests.scanning.advisories import (
    ALPINE_ADVISORIES,
    DEBIAN_ADVISORIES,
    DEBIAN_STATUS,
    LANGUAGE_ADVISORIES,
)
from tests.scanning.layers import layer
from tests.scanning.test_inventory import ALPINE_OS, APK_INSTALLED, DEBIAN_OS

OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
SITE = "usr/lib/python3/dist-packages"


def image_of(layers: list[tuple[str, bytes]]) -> Pushed:
    config = config_blob()
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(OCI_CONFIG, config),
        "layers": [descriptor(media_type, blob) for media_type, blob in layers],
    }
    return Pushed(
        canonical(document), document["mediaType"], [config] + [b for _, b in layers], document
    )


def debian_image() -> Pushed:
    return image_of(
        [
            (
                OCI_LAYER_GZIP,
                layer([("etc/os-release", DEBIAN_OS), ("var/lib/dpkg/status", DEBIAN_STATUS)]),
            ),
            (
                OCI_LAYER_ZSTD,
                layer(
                    [
                        (
                            f"{SITE}/Jinja2-3.1.2.dist-info/METADATA",
                            b"Name: Jinja2\nVersion: 3.1.2\n",
                        ),
                        (
                            "app/node_modules/lodash/package.json",
                            b'{"name":"lodash","version":"4.17.20"}',
                        ),
                    ],
                    "zstd",
                ),
            ),
        ]
    )


def alpine_image() -> Pushed:
    return image_of(
        [
            (
                OCI_LAYER_GZIP,
                layer([("etc/os-release", ALPINE_OS), ("lib/apk/db/installed", APK_INSTALLED)]),
            )
        ]
    )


def import_advisories(client: Any, advisories: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.http.post(
        "/v2/_berth/vulndb",
        headers={"content-type": "application/json"},
        body=json.dumps({"advisories": advisories}).encode(),
    )
    assert response.status_code == 200, response.body
    document: dict[str, Any] = json.loads(response.body)
    return document


def scan(client: Any, repo: str, reference: str, method: str = "post") -> dict[str, Any]:
    """GET: the stored result. POST: queue a scan (202), run the scan function's handler on
    the scan queue, then the stored result."""
    from tests.scanning.scan_queue import run_queued_scans

    if method == "post":
        response = client.http.post(f"/v2/{repo}/_berth/scan/{reference}")
        assert response.status_code == 202, response.body
        assert json.loads(response.body)["imageScanStatus"]["status"] == "IN_PROGRESS"
        assert run_queued_scans() >= 1
        method = "get"
    response = getattr(client.http, method)(f"/v2/{repo}/_berth/scan/{reference}")
    assert response.status_code == 200, response.body
    document: dict[str, Any] = json.loads(response.body)
    return document


def found(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (f["name"], f["package"], f["severity"], f["fixedVersion"])
        for f in document["imageScanFindings"]["findings"]
    )


def test_scan_of_a_pushed_image(client: Any, repo: str) -> None:
    state = import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    assert state["received"] == len(DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    assert state["updatedAt"]
    pushed = debian_image()
    push(client, repo, pushed, "1.0")
    before = scan(client, repo, "1.0", "get")
    assert before["imageScanStatus"]["status"] == "NOT_SCANNED"
    assert "imageScanFindings" not in before

    document = scan(client, repo, "1.0")
    assert document["imageId"] == {"imageDigest": pushed.digest}
    assert document["imageScanStatus"]["status"] == "COMPLETE"
    assert found(document) == [
        ("DEBIAN-CVE-2023-45853", "zlib1g", "CRITICAL", "1:1.2.13.dfsg-3"),
        ("DEBIAN-CVE-2023-6246", "libc6", "HIGH", ""),
        ("DSA-5585-1", "libssl3", "UNKNOWN", "3.0.13-1~deb12u1"),
        ("DSA-5585-1", "openssl", "UNKNOWN", "3.0.13-1~deb12u1"),
        ("GHSA-35jh-r3h4-6jhm", "lodash", "HIGH", "4.17.21"),
        ("GHSA-h5c8-rqwp-cp95", "jinja2", "MEDIUM", "3.1.3"),
        ("PYSEC-2023-0001", "jinja2", "UNKNOWN", ""),
    ]
    findings = document["imageScanFindings"]
    assert findings["findingSeverityCounts"] == {
        "CRITICAL": 1,
        "HIGH": 2,
        "MEDIUM": 1,
        "UNKNOWN": 3,
    }
    assert findings["findings"][0]["severity"] == "CRITICAL"
    jinja = next(f for f in findings["findings"] if f["name"] == "GHSA-h5c8-rqwp-cp95")
    assert {"key": "package_name", "value": "jinja2"} in jinja["attributes"]
    assert {"key": "CVSS3_SCORE", "value": "4.3"} in jinja["attributes"]
    assert jinja["uri"] == "https://example.test/GHSA-h5c8-rqwp-cp95"
    assert document["packageCount"] == 7
    assert document["notCovered"] == []
    # The stored result answers GET, by digest as by tag.
    assert scan(client, repo, pushed.digest, "get") == document


def test_an_index_gets_the_union_of_its_platforms(client: Any, repo: str) -> None:
    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES + ALPINE_ADVISORIES)
    debian, alpine = debian_image(), alpine_image()
    push(client, repo, debian)
    push(client, repo, alpine)
    both = index([debian, alpine])
    push(client, repo, both, "multi")
    document = scan(client, repo, "multi")
    assert document["platforms"] == ["linux/arch0", "linux/arch1"]
    names = {f[0] for f in found(document)}
    assert {"ALPINE-CVE-2023-0001", "ALPINE-CVE-2024-0728", "DSA-5585-1"} <= names
    assert "ALPINE-CVE-2023-0002" not in names


def test_a_layer_that_is_not_a_layer_fails_the_scan(client: Any, repo: str) -> None:
    broken = image_of([(OCI_LAYER_GZIP, b"\x1f\x8b not a gzip stream at all")])
    push(client, repo, broken, "broken")
    document = scan(client, repo, "broken")
    assert document["imageScanStatus"]["status"] == "FAILED"
    assert "tar" in document["imageScanStatus"]["description"]


def test_unknown_images_and_bad_batches(client: Any, repo: str) -> None:
    response = client.http.get(f"/v2/{repo}/_berth/scan/nope")
    assert response.status_code == 404
    response = client.http.post(
        "/v2/_berth/vulndb", headers={"content-type": "application/json"}, body=b'{"x": 1}'
    )
    assert response.status_code == 400
    state = json.loads(client.http.get("/v2/_berth/vulndb").body)
    assert set(state) >= {"advisories", "keys", "updatedAt"}


def test_the_pull_and_push_path_does_not_import_the_scanner() -> None:
    code = (
        "import sys\n"
        "import app\n"
        "from chalicelib.api import manifests, blobs, uploads, tags, referrers\n"
        "loaded = [m for m in sys.modules if m.startswith(('chalicelib.scann', 'zstandard'))]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_scan_documents_are_attached_as_referrers(
    client: Any, repo: str, aws: dict[str, str]
) -> None:
    import boto3

    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    pushed = debian_image()
    push(client, repo, pushed, "1.0")
    scan(client, repo, "1.0")
    response = client.http.get(
        f"/v2/{repo}/referrers/{pushed.digest}?artifactType=application/vnd.cyclonedx%2Bjson"
    )
    assert response.status_code == 200
    descriptors = json.loads(response.body)["manifests"]
    kinds = sorted(d["annotations"]["dev.berth.scan.kind"] for d in descriptors)
    assert kinds == ["sbom", "vulnerabilities"]
    assert all(d["artifactType"] == "application/vnd.cyclonedx+json" for d in descriptors)
    assert all(d["annotations"]["dev.berth.scan.producer"] == "berth" for d in descriptors)
    assert all("org.opencontainers.image.created" in d["annotations"] for d in descriptors)
    s3 = boto3.client("s3")
    for entry in descriptors:
        manifest = json.loads(client.http.get(f"/v2/{repo}/manifests/{entry['digest']}").body)
        assert manifest["subject"]["digest"] == pushed.digest
        layer_digest = manifest["layers"][0]["digest"]
        key = "blobs/sha256/" + layer_digest.split(":", 1)[1]
        document = json.loads(s3.get_object(Bucket=aws["BucketName"], Key=key)["Body"].read())
        assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.6"
        assert ("components" in document) == (entry["annotations"]["dev.berth.scan.kind"] == "sbom")
    # A rescan replaces the scanner's documents instead of piling up beside them.
    scan(client, repo, "1.0")
    again = json.loads(
        client.http.get(
            f"/v2/{repo}/referrers/{pushed.digest}?artifactType=application/vnd.cyclonedx%2Bjson"
        ).body
    )["manifests"]
    assert sorted(d["annotations"]["dev.berth.scan.kind"] for d in again) == kinds
    assert {d["digest"] for d in again}.isdisjoint({d["digest"] for d in descriptors})


def test_an_amazon_linux_image_says_its_rpm_packages_are_not_covered(
    client: Any, repo: str
) -> None:
    """OSV publishes no Amazon Linux advisories: 0 findings must not read as clean."""
    from tests.scanning.rpmdb import header_blob, rpmdb_bdb
    from tests.scanning.test_rpm_databases import AMAZON_2, AMAZON_PACKAGES

    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    database = rpmdb_bdb([header_blob(p) for p in AMAZON_PACKAGES])
    pushed = image_of(
        [
            (
                OCI_LAYER_GZIP,
                layer(
                    [
                        ("etc/os-release", AMAZON_2),
                        ("var/lib/rpm/Packages", database),
                        (
                            f"{SITE}/Jinja2-3.1.2.dist-info/METADATA",
                            b"Name: Jinja2\nVersion: 3.1.2\n",
                        ),
                    ]
                ),
            )
        ]
    )
    push(client, repo, pushed, "al2")
    document = scan(client, repo, "al2")
    assert document["imageScanStatus"]["status"] == "COMPLETE"
    assert document["packageCount"] == 3
    assert document["notCovered"] == [
        "not covered: no advisory source for the 2 rpm packages of Amazon Linux 2 "
        "(inventoried, not matched)"
    ]
    # The Python package is still matched: only the OS packages lack a source.
    assert [f[0] for f in found(document)] == ["GHSA-h5c8-rqwp-cp95", "PYSEC-2023-0001"]
    assert scan(client, repo, pushed.digest, "get")["notCovered"] == document["notCovered"]
