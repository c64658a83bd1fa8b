"""The rescan after a database change reads only images the change can affect (issue 16: a
cost that grows with what changed, not with the registry): each scan stores the hashes of the
index keys its packages look up and the database version it holds for; each version records
the keys it changed; the walk queues an image only if a key changed since its scan is one of
its keys. A rescan that finds the same findings writes one item, not a new report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.oci.digest import checked_digest
from chalicelib.scanning.advisory_index import index_key
from tests.api.helpers import push
from tests.events.conftest import Pump
from tests.events.test_rescan import load
from tests.scanning.advisories import osv
from tests.scanning.test_scan_api import scan
from tests.scanning.unique_package import advisory, python_image, unique_name


def _walk(repo: str, version: int, pump: Pump) -> list[str]:
    """Walk one repository page by page; the digests it queues scans for."""
    from chalicelib.scanner import rescan

    after = None
    found: list[str] = []
    while True:
        assert rescan.run(rescan.walk_message(version, repo, after)).ok
        queued = pump.queued()
        found += [m["digest"] for m in queued if m["type"] == "scan" and m["repository"] == repo]
        following = [m for m in queued if m["type"] == "rescan" and m["repository"] == repo]
        if not following:
            return found
        after = following[0]["after"]


def test_only_the_image_holding_a_changed_package_is_rescanned(
    client: Any, repo: str, pump: Pump
) -> None:
    first, second = unique_name(), unique_name()
    one, two = python_image(first), python_image(second)
    push(client, repo, one, "one")
    push(client, repo, two, "two")
    scan(client, repo, "one")
    scan(client, repo, "two")
    version = load(client, [advisory(f"PYSEC-{first}-1", first, "HIGH")], rescan=False)["version"]
    assert _walk(repo, version, pump) == [one.digest]


def test_an_image_scanned_before_an_unrecorded_change_is_rescanned(
    client: Any, repo: str, pump: Pump
) -> None:
    """A version without a record of its changes (or recorded as "all") says nothing about
    which images it touches: every image scanned before it is rescanned."""
    from chalicelib.storage import vulndb

    name = unique_name()
    image = python_image(name)
    push(client, repo, image, "1.0")
    scan(client, repo, "1.0")
    unrelated = unique_name()
    version = load(client, [advisory(f"PYSEC-{unrelated}-1", unrelated, "LOW")], rescan=False)[
        "version"
    ]
    assert _walk(repo, version, pump) == []
    current = vulndb.bump(0, 0, None)["version"]  # a sync that could not say what it changed
    assert _walk(repo, current, pump) == [image.digest]


def test_a_rescan_with_the_same_findings_writes_one_item(
    client: Any, repo: str, pump: Pump
) -> None:
    from chalicelib.scanner.run import scan_image
    from chalicelib.storage import scan_results

    name = unique_name()
    image = python_image(name)
    push(client, repo, image, "1.0")
    load(client, [advisory(f"PYSEC-{name}-1", name, "HIGH")], rescan=False)
    scan(client, repo, "1.0")
    before = scan_results.get(checked_digest(image.digest))
    referrers = json.loads(client.http.get(f"/v2/{repo}/referrers/{image.digest}").body)
    # A change to the same key that does not change the findings (a second advisory for
    # versions the image does not have).
    later = osv(f"PYSEC-{name}-2", "PyPI", name, [{"introduced": "3.0.0"}, {"fixed": "4.0.0"}])
    version = load(client, [later], rescan=False)["version"]
    assert _walk(repo, version, pump) == [image.digest]
    report = scan_image(repo, image.digest, reuse_inventory=True)
    after = scan_results.get(checked_digest(image.digest))
    assert before is not None and after is not None
    assert after.scanned_at == before.scanned_at  # the stored report stands
    assert report["findings"] and report["scannedAt"] == before.scanned_at.isoformat()
    again = json.loads(client.http.get(f"/v2/{repo}/referrers/{image.digest}").body)
    assert again == referrers  # no new SBOM or vulnerability report
    assert _walk(repo, version, pump) == []  # it holds for this version now


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    holdings=st.lists(st.sets(st.integers(0, 5), max_size=3), min_size=1, max_size=3),
    changes=st.lists(st.sets(st.integers(0, 5), min_size=1, max_size=2), min_size=1, max_size=3),
)
def test_the_walk_never_skips_an_image_whose_findings_change(
    client: Any, repo: str, pump: Pump, holdings: list[set[int]], changes: list[set[int]]
) -> None:
    """Images holding random packages of a small pool, scanned; random imports of advisories
    for random packages; the walk after them must queue every image whose findings a full
    rescan changes (it may queue more)."""
    from chalicelib.scanner.run import scan_image
    from tests.scanning.layers import layer
    from tests.scanning.test_scan_api import OCI_LAYER_GZIP, SITE, image_of

    pool = [unique_name() for _ in range(6)]
    images = []
    for n, held in enumerate(holdings):
        files = [
            (f"{SITE}/{pool[i]}-1.0.0.dist-info/METADATA", f"Name: {pool[i]}\nVersion: 1.0.0\n")
            for i in sorted(held)
        ]
        files.append((f"{SITE}/marker-{n}-{pool[0]}", "x"))  # distinct images
        image = image_of([(OCI_LAYER_GZIP, layer([(p, d.encode()) for p, d in files]))])
        push(client, repo, image, f"i{n}")
        scan(client, repo, f"i{n}")
        images.append(image)
    before = {
        image.digest: scan_image(repo, image.digest, reuse_inventory=True)["findings"]
        for image in images
    }
    version = 0
    for c, changed in enumerate(changes):
        batch = [advisory(f"PYSEC-{pool[i]}-{c}", pool[i], "HIGH") for i in sorted(changed)]
        version = load(client, batch, rescan=False)["version"]
    queued = set(_walk(repo, version, pump))
    for image in images:
        if image.digest in queued:
            continue
        fresh = scan_image(repo, image.digest)["findings"]  # a full scan, layers read again
        assert fresh == before[image.digest], image.digest
    touched = {index_key("PyPI", pool[i]) for changed in changes for i in changed}
    assert touched  # the property is about these keys


def test_a_rescan_with_new_findings_keeps_the_sbom_and_replaces_the_report(
    client: Any, repo: str, pump: Pump
) -> None:
    """The packages did not change: the SBOM referrer stays, the vulnerability report is new
    (and the old one gone), and the repository's empty config is not stored again."""
    from chalicelib.scanner.run import scan_image
    from chalicelib.scanning.cyclonedx import MEDIA_TYPE
    from chalicelib.storage import aws as aws_clients

    name = unique_name()
    image = python_image(name)
    push(client, repo, image, "1.0")
    first = scan(client, repo, "1.0")
    assert first is not None

    def documents() -> dict[str, str]:
        listed = json.loads(client.http.get(f"/v2/{repo}/referrers/{image.digest}").body)
        return {
            m["annotations"]["dev.berth.scan.kind"]: m["digest"]
            for m in listed["manifests"]
            if m.get("artifactType") == MEDIA_TYPE
        }

    before = documents()
    assert set(before) == {"sbom", "vulnerabilities"}
    load(client, [advisory(f"PYSEC-{name}-1", name, "HIGH")], rescan=False)
    puts: list[str] = []
    real = aws_clients.s3()

    class Counting:
        def put_object(self, **kwargs: Any) -> Any:
            puts.append(kwargs["Key"])
            return real.put_object(**kwargs)

        def __getattr__(self, attribute: str) -> Any:
            return getattr(real, attribute)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_clients, "s3", lambda: Counting())
        report = scan_image(repo, image.digest, reuse_inventory=True)
    assert [f["id"] for f in report["findings"]] == [f"PYSEC-{name}-1"]
    after = documents()
    assert after["sbom"] == before["sbom"]
    assert after["vulnerabilities"] != before["vulnerabilities"]
    # The report object, the vulnerability document: no SBOM, no empty config again.
    assert len(puts) == 2, puts
