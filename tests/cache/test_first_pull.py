"""A blob's first pull through the cache, in-process Berth (chalice.test.Client on moto) in
front of a real upstream (`berth serve --auth`, which redirects blob GETs to its presigned
storage, as Docker Hub, ghcr.io and ECR do): the client is sent to upstream's storage at
once, the fill runs from the delivery queue (run here as its consumer would), and the next
pull is a presigned redirect to Berth's own S3. Fronts on the upstream (storage_front.py)
stand for an upstream that serves bytes itself, one whose redirect goes where no client
may be sent, and storage that hands out the wrong bytes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from chalicelib.cache import fill_claims, pull_through, rules
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import blobs
from tests.api.helpers import assert_ok, digest_of, fetch_blob, get_manifest, header, json_of
from tests.cache.conftest import Upstream, add_rule, run_fills
from tests.cache.storage_front import StorageFront

THREADS = 5


@pytest.fixture
def names() -> tuple[str, str]:
    name = f"lib/{uuid.uuid4().hex[:10]}"
    return name, f"up/{name}"


@pytest.fixture
def credentials(
    aws: dict[str, str], upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setattr(rules, "secret_path", lambda: "berth/test/cache/")
    name = f"/berth/test/cache/upstream-{uuid.uuid4().hex[:6]}"
    boto3.client("ssm").put_parameter(
        Name=name, Value=f"admin:{upstream.password}", Type="SecureString"
    )
    return {"ssm": name}


@pytest.fixture
def front(upstream: Upstream) -> Iterator[StorageFront]:
    started = StorageFront(upstream.registry.server.port).start()
    yield started
    started.close()


def _stored(digest: str) -> bool:
    return blobs.stored_size(blobs.blob_key(parse_digest(digest))) is not None


def _blob_gets(upstream: Upstream, remote: str, digest: str) -> int:
    return upstream.requests(remote).count(f"GET /v2/{remote}/blobs/{digest}")


def test_concurrent_first_pulls_are_all_sent_upstream_and_queue_one_fill(
    aws: dict[str, str],
    client: Any,
    s3: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    assert_ok(add_rule(client, "up/", upstream.url, credentials=credentials), 201)
    blob = pushed.blobs[-1]
    digest = digest_of(blob)
    start = threading.Barrier(THREADS)

    def pull(_: int) -> Any:
        start.wait()
        return pull_through.blob(local, parse_digest(digest), send_upstream=True)

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(pull, range(THREADS)))
    assert all(isinstance(a, str) and "/_s3/" in a for a in answers), answers
    assert fill_claims.held(digest), "the queued fill holds the claim"
    assert not _stored(digest)

    fills = run_fills(aws, local)
    assert [(f["repository"], f["digest"]) for f in fills] == [(local, digest)]
    assert not fill_claims.held(digest)
    # One GET upstream per client (to learn where to send it), one for the fill.
    assert _blob_gets(upstream, remote, digest) == THREADS + 1
    assert fetch_blob(client, s3, local, digest) == blob
    assert _blob_gets(upstream, remote, digest) == THREADS + 1


def test_an_upstream_that_serves_bytes_itself_is_filled_before_the_answer(
    aws: dict[str, str],
    client: Any,
    s3: Any,
    upstream: Upstream,
    front: StorageFront,
    names: tuple[str, str],
    credentials: dict[str, str],
) -> None:
    """No redirect to follow: Berth cannot stream to the client while storing (no response
    streaming in Lambda), so the client waits for the fill and is sent to Berth's S3."""
    remote, local = names
    pushed = upstream.push(remote, "v1")
    front.mode = "serve"
    assert_ok(add_rule(client, "up/", front.url, credentials=credentials), 201)
    for blob in pushed.blobs:
        assert fetch_blob(client, s3, local, digest_of(blob)) == blob
        assert _stored(digest_of(blob))
    assert run_fills(aws, local) == []
    assert all(_blob_gets(upstream, remote, digest_of(b)) == 1 for b in pushed.blobs)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/blob", "not a public address"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "not an http(s) URL"),
    ],
)
def test_a_redirect_where_no_client_may_go_is_never_handed_out(
    aws: dict[str, str],
    client: Any,
    upstream: Upstream,
    front: StorageFront,
    names: tuple[str, str],
    credentials: dict[str, str],
    location: str,
    reason: str,
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    front.mode, front.elsewhere = "elsewhere", location
    assert_ok(add_rule(client, "up/", front.url, credentials=credentials), 201)
    assert get_manifest(client, local, "v1").body == pushed.body
    digest = digest_of(pushed.blobs[-1])
    response = client.http.get(f"/v2/{local}/blobs/{digest}")
    assert response.status_code == 502
    error = json_of(response)["errors"][0]
    assert error["code"] == "UNAVAILABLE"
    assert reason in error["message"]
    assert header(response, "Location") is None
    assert run_fills(aws, local) == []
    assert not fill_claims.held(digest)


def test_a_queued_fill_stores_only_bytes_that_match_the_digest(
    aws: dict[str, str],
    client: Any,
    upstream: Upstream,
    front: StorageFront,
    names: tuple[str, str],
    credentials: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    front.mode = "corrupt"  # upstream's storage serves other bytes of the same size
    assert_ok(add_rule(client, "up/", front.url, credentials=credentials), 201)
    digest = digest_of(pushed.blobs[-1])
    response = client.http.get(f"/v2/{local}/blobs/{digest}")
    assert_ok(response, 307)
    assert str(header(response, "Location")).startswith(f"{front.url}/relay/")
    assert len(run_fills(aws, local)) == 1  # it failed: retried later by the queue's backoff
    failed = [r for r in caplog.records if r.getMessage() == "cache fill failed"]
    assert failed and "has digest" in failed[-1].fields["error"]  # type: ignore[attr-defined]
    assert not _stored(digest)
    assert blobs.get_link(local, parse_digest(digest)) is None
    assert not fill_claims.held(digest), "a failed fill gives the claim back"
    again = client.http.get(f"/v2/{local}/blobs/{digest}")
    assert_ok(again, 307)
    assert str(header(again, "Location")).startswith(f"{front.url}/relay/")


def test_a_rule_that_fills_first_answers_from_berth_even_on_the_first_pull(
    aws: dict[str, str],
    client: Any,
    s3: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
) -> None:
    """For clients that cannot reach upstream's storage (a private network whose only way
    out is Berth): the first pull waits for the fill, as before this change."""
    remote, local = names
    pushed = upstream.push(remote, "v1")
    rule = add_rule(client, "up/", upstream.url, credentials=credentials, fillFirst=True)
    assert_ok(rule, 201)
    assert json_of(rule)["fillFirst"] is True
    for blob in pushed.blobs:
        assert fetch_blob(client, s3, local, digest_of(blob)) == blob  # Berth's own S3
        assert _stored(digest_of(blob))
    assert run_fills(aws, local) == []
    refused = add_rule(client, "up2/", upstream.url, fillFirst="yes")
    assert refused.status_code == 400
    assert "fillFirst" in json_of(refused)["errors"][0]["message"]
