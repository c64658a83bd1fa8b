"""Pulls through the cache, in-process Berth (chalice.test.Client on moto) in front of a real
upstream registry with token auth on (tests/cache/conftest.py): the first pull fills,
the second is served from Berth alone, tags revalidate after their TTL (an injected clock),
and an upstream that is down leaves the cached copy served."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.cache import rules
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import clock
from tests.api.helpers import (
    assert_error,
    assert_head_error,
    assert_ok,
    digest_of,
    fetch_blob,
    get_manifest,
    head_manifest,
    header,
    image,
    index,
    json_of,
)
from tests.cache.conftest import Upstream, add_rule, fetch_location, run_fills
from tests.e2e.gate import Gate

T0 = datetime(2031, 5, 1, tzinfo=UTC)


@pytest.fixture
def names() -> tuple[str, str]:
    """(repository upstream, the same through Berth's `up/` prefix)."""
    name = f"lib/{uuid.uuid4().hex[:10]}"
    return name, f"up/{name}"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The cache's clock, moved by the test."""
    moment = [T0]
    monkeypatch.setattr(clock, "source", lambda: moment[0])
    yield moment


@pytest.fixture
def credentials(
    aws: dict[str, str], upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The upstream admin's login in SSM, under the path the test stage's policy lets the
    function read (tests/deploy/audit.py checks every call against it)."""
    monkeypatch.setattr(rules, "secret_path", lambda: "berth/test/cache/")
    name = f"/berth/test/cache/upstream-{uuid.uuid4().hex[:6]}"
    boto3.client("ssm").put_parameter(
        Name=name, Value=f"admin:{upstream.password}", Type="SecureString"
    )
    return {"ssm": name}


def _rule(client: Any, url: str, credentials: dict[str, str], ttl: int = 3600) -> None:
    assert_ok(add_rule(client, "up/", url, credentials=credentials, ttlSeconds=ttl), 201)


def s3_has_no(s3: Any, aws: dict[str, str], digest: str) -> bool:
    from chalicelib.storage import blobs

    key = blobs.blob_key(parse_digest(digest))
    return not s3.list_objects_v2(Bucket=aws["BucketName"], Prefix=key).get("Contents")


def test_first_pull_is_sent_upstream_and_filled_by_the_queue(
    aws: dict[str, str],
    client: Any,
    s3: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    frozen: list[datetime],
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    _rule(client, upstream.url, credentials)

    response = get_manifest(client, local, "v1")
    assert_ok(response, 200)
    assert response.body == pushed.body
    assert header(response, "Docker-Content-Digest") == pushed.digest
    # First pull of each blob: sent to upstream's storage at once, the fill queued.
    for blob in pushed.blobs:
        first = client.http.get(f"/v2/{local}/blobs/{digest_of(blob)}")
        assert_ok(first, 307)
        location = header(first, "Location")
        assert location and location.startswith(f"{upstream.url}/_s3/"), location
        assert header(first, "Docker-Content-Digest") == digest_of(blob)
        assert fetch_location(location) == blob
    stored = [b for b in pushed.blobs if not s3_has_no(s3, aws, digest_of(b))]
    assert not stored, "nothing is stored before the queue runs"
    fills = run_fills(aws, local)
    assert sorted(f["digest"] for f in fills) == sorted(digest_of(b) for b in pushed.blobs)
    # The second pull: Berth's own S3, by presigned redirect.
    for blob in pushed.blobs:
        assert fetch_blob(client, s3, local, digest_of(blob)) == blob
    filled = upstream.requests(remote)
    blob_gets = sum(1 for r in filled if r.startswith("GET") and "/blobs/" in r)
    assert blob_gets == 2 * len(pushed.blobs), "one answer to send the client on, one fill"

    # Everything again, by tag and by digest: Berth alone answers.
    for reference in ("v1", pushed.digest):
        assert get_manifest(client, local, reference).body == pushed.body
        assert_ok(head_manifest(client, local, reference), 200)
    for blob in pushed.blobs:
        assert_ok(client.http.head(f"/v2/{local}/blobs/{digest_of(blob)}"), 200)
        assert fetch_blob(client, s3, local, digest_of(blob)) == blob
    assert upstream.requests(remote) == filled

    # A normal manifest and tag: history records the fill as the tag's first move.
    history = json_of(client.http.get(f"/v2/{local}/_berth/history/v1"))
    assert [h["to"] for h in history["history"]] == [pushed.digest]


def test_an_index_brings_every_child(
    client: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    frozen: list[datetime],
) -> None:
    remote, local = names
    children = [upstream.push(remote, f"c{i}", image()) for i in range(2)]
    top = upstream.push(remote, "multi", index(children))
    _rule(client, upstream.url, credentials)
    assert get_manifest(client, local, "multi").body == top.body
    before = upstream.requests(remote)
    for child in children:
        assert get_manifest(client, local, child.digest).body == child.body
    assert upstream.requests(remote) == before, "children were stored with the index"


def test_tag_moved_upstream_is_seen_after_the_ttl(
    client: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    frozen: list[datetime],
) -> None:
    remote, local = names
    first = upstream.push(remote, "v1")
    _rule(client, upstream.url, credentials, ttl=600)
    assert get_manifest(client, local, "v1").body == first.body
    second = upstream.push(remote, "v1")  # the tag moves upstream

    frozen[0] = T0 + timedelta(seconds=599)  # within the TTL: no upstream call
    seen = upstream.requests(remote)
    assert get_manifest(client, local, "v1").body == first.body
    assert upstream.requests(remote) == seen

    frozen[0] = T0 + timedelta(seconds=600)  # past it: HEAD, then the new manifest
    assert get_manifest(client, local, "v1").body == second.body
    new = upstream.requests(remote)[len(seen) :]
    assert new[0] == f"HEAD /v2/{remote}/manifests/v1"
    history = json_of(client.http.get(f"/v2/{local}/_berth/history/v1"))
    assert [h["to"] for h in history["history"]] == [second.digest, first.digest]

    # Unchanged upstream after another TTL: one HEAD, nothing fetched.
    frozen[0] = T0 + timedelta(seconds=1300)
    seen = upstream.requests(remote)
    assert get_manifest(client, local, "v1").body == second.body
    assert upstream.requests(remote)[len(seen) :] == [f"HEAD /v2/{remote}/manifests/v1"]
    # A digest never revalidates.
    frozen[0] = T0 + timedelta(days=30)
    seen = upstream.requests(remote)
    assert get_manifest(client, local, first.digest).body == first.body
    assert upstream.requests(remote) == seen


def test_upstream_down_serves_the_cached_tag(
    client: Any,
    s3: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    frozen: list[datetime],
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    gate = Gate(upstream.registry.server.port).start()
    try:
        _rule(client, f"http://127.0.0.1:{gate.port}", credentials, ttl=60)
        assert get_manifest(client, local, "v1").body == pushed.body
        gate.set_up(False)
        frozen[0] = T0 + timedelta(hours=2)  # stale: revalidation fails, the copy serves
        response = get_manifest(client, local, "v1")
        assert_ok(response, 200)
        assert response.body == pushed.body
        # What was never cached cannot be served: a clear 503, not a 500.
        # (UNAVAILABLE is the CNCF registry's code for a failing backend; clients retry 503.)
        missing = digest_of(pushed.blobs[0])
        for response in (
            get_manifest(client, local, "v2"),
            client.http.get(f"/v2/{local}/blobs/{missing}"),
        ):
            assert response.status_code == 503
            assert json_of(response)["errors"][0]["code"] == "UNAVAILABLE"
    finally:
        gate.close()


def test_unknown_upstream_names_are_unknown_here(
    client: Any, upstream: Upstream, names: tuple[str, str], credentials: dict[str, str]
) -> None:
    _, local = names
    _rule(client, upstream.url, credentials)
    assert_error(get_manifest(client, local, "nope"), 404, "MANIFEST_UNKNOWN")
    absent = "sha256:" + "0" * 64
    assert_error(client.http.get(f"/v2/{local}/blobs/{absent}"), 404, "BLOB_UNKNOWN")
    assert_head_error(client.http.head(f"/v2/{local}/blobs/{absent}"), 404)


def test_cached_repositories_refuse_pushes(
    client: Any, upstream: Upstream, names: tuple[str, str], credentials: dict[str, str]
) -> None:
    _, local = names
    _rule(client, upstream.url, credentials)
    pushed = image()
    codes = assert_error(client.http.post(f"/v2/{local}/blobs/uploads/"), 403, "DENIED")
    assert codes
    response = client.http.put(
        f"/v2/{local}/manifests/v1",
        headers={"content-type": pushed.media_type},
        body=pushed.body,
    )
    assert_error(response, 403, "DENIED")
    assert "up/" in json_of(response)["errors"][0]["message"]


def test_a_scan_of_a_cached_image_fills_its_layers(
    client: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    frozen: list[datetime],
) -> None:
    """Scan on push runs on the fill's event, before any client pulled the layers: the
    scanner's read of a layer fills it first (chalicelib/cache/pull_through.py)."""
    from chalicelib.scanner.run import scan_image
    from chalicelib.storage import blobs
    from tests.api.helpers import OCI_LAYER, Pushed, canonical, config_blob, descriptor
    from tests.e2e.images import make_layer

    remote, local = names
    config, layer = config_blob(), make_layer(20_000, name="data.bin")[0]
    document = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor(OCI_LAYER, layer)],
    }
    body = canonical(document)
    pushed = upstream.push(
        remote, "v1", Pushed(body, str(document["mediaType"]), [config, layer], document)
    )
    _rule(client, upstream.url, credentials)
    assert_ok(head_manifest(client, local, "v1"), 200)  # the manifest only
    layers = [parse_digest(digest_of(b)) for b in pushed.blobs[1:]]
    assert not blobs.linked(local, layers)
    report = scan_image(local, pushed.digest)
    assert report["bytesRead"] == sum(len(b) for b in pushed.blobs[1:])
    assert blobs.linked(local, layers) == set(layers)


def test_a_scan_does_not_wait_for_a_queued_fill_it_may_be_ahead_of(
    aws: dict[str, str],
    client: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    frozen: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client's first pull queued the layer's fill; the scan of the fill's push event can
    come first on the same consumer (`berth serve` runs one), so waiting for the claim would
    hold the fill up behind it: the scan fails at once, to be retried, and after the fill it
    reads the stored layer."""
    from chalicelib.cache import blob_fill
    from chalicelib.scanner.run import scan_image
    from tests.api.helpers import OCI_LAYER, Pushed, canonical, config_blob, descriptor
    from tests.e2e.images import make_layer

    monkeypatch.setattr(blob_fill, "WAIT_SECONDS", 0.0)  # waiting would fail differently
    remote, local = names
    config, layer = config_blob(), make_layer(20_000, name="data.bin")[0]
    document = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor(OCI_LAYER, layer)],
    }
    pushed = upstream.push(
        remote,
        "v1",
        Pushed(canonical(document), str(document["mediaType"]), [config, layer], document),
    )
    _rule(client, upstream.url, credentials)
    assert get_manifest(client, local, "v1").body == pushed.body
    for blob in pushed.blobs[1:]:
        assert_ok(client.http.get(f"/v2/{local}/blobs/{digest_of(blob)}"), 307)
    with pytest.raises(blob_fill.FillUnderWay):
        scan_image(local, pushed.digest)
    assert len(run_fills(aws, local)) == len(pushed.blobs) - 1
    report = scan_image(local, pushed.digest)
    assert report["bytesRead"] == sum(len(b) for b in pushed.blobs[1:])
