"""The upstream for cache tests: a second registry, `berth serve --auth` in a child process
(token auth on, as Docker Hub and ghcr.io have it), and images pushed to it with the
runtime's own remote client. Requests it served are counted from its request log.

Berth itself runs in-process on moto (chalice.test.Client) as in tests/api; its table is
emptied after each test and its cache rules forgotten."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from berth.localserver.spawn import spawn
from chalicelib.remote import manifests as remote_manifests
from chalicelib.remote import uploads
from chalicelib.remote.basic_credentials import Credentials
from chalicelib.remote.session import RemoteRegistry
from tests.api.conftest import _empty_table_after_test  # noqa: F401
from tests.api.helpers import Pushed, image
from tests.e2e.support import Registry


@dataclass(frozen=True)
class Upstream:
    registry: Registry
    password: str

    @property
    def url(self) -> str:
        return f"http://{self.registry.host}"

    def session(self) -> RemoteRegistry:
        return RemoteRegistry(self.url, Credentials("admin", self.password))

    def push(self, repository: str, tag: str, manifest: Pushed | None = None) -> Pushed:
        """Push an image (its blobs, then the manifest under `tag`) as the upstream's admin."""
        manifest = manifest or image(layers=2)
        remote = self.session()
        remote.want(f"repository:{repository}:pull,push")
        try:
            for blob in manifest.blobs:
                digest = "sha256:" + hashlib.sha256(blob).hexdigest()
                uploads.monolithic(remote, repository, digest, len(blob), [blob])
            remote_manifests.put(remote, repository, tag, manifest.body, manifest.media_type)
        finally:
            remote.close()
        return manifest

    def token_requests(self) -> int:
        """How many token requests the upstream answered (every client's, so far)."""
        return sum(
            1
            for record in self.registry.log_records()
            if record.get("message") == "request" and record.get("path") == "/token"
        )

    def requests(self, repository: str) -> list[str]:
        """`METHOD path` of every /v2 request the upstream answered for `repository` (not
        counting 401s: those are the token flow's challenges, answered by the next request)."""
        found = []
        for record in self.registry.log_records():
            path = str(record.get("path", ""))
            if (
                record.get("message") == "request"
                and path.startswith(f"/v2/{repository}/")
                and record.get("status") != 401
            ):
                found.append(f"{record.get('method')} {path}")
        return found


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    directory: Path = tmp_path_factory.mktemp("berth-upstream")
    log = directory / "berth-serve.log"
    try:
        with log.open("wb") as stderr, spawn(stderr=stderr, auth=True) as server:
            match = re.search(r"log in as admin with password (\S+) \(shown once\)", server.line)
            assert match, server.line
            yield Upstream(Registry(server, log), match.group(1))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def _local_upstreams(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plain http to loopback upstreams (as `berth serve` allows), and no rule left behind."""
    from chalicelib.cache import rules, upstream_backoff
    from chalicelib.cache.upstream_guard import ALLOW_NETWORKS_ENV
    from chalicelib.cache.upstream_tokens import tokens
    from chalicelib.events.config import event_settings

    monkeypatch.setenv("BERTH_WEBHOOK_ALLOW_HTTP", "1")
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8,::1/128")
    event_settings.cache_clear()
    rules.forget_cached()
    yield
    rules.forget_cached()
    tokens.clear()
    upstream_backoff.forget()
    event_settings.cache_clear()


def add_rule(client: Any, prefix: str, upstream: str, **fields: Any) -> Any:
    body = json.dumps({"prefix": prefix, "upstream": upstream, **fields})
    return client.http.post(
        "/v2/_berth/cache", headers={"content-type": "application/json"}, body=body
    )


def run_fills(aws: dict[str, str], repository: str) -> list[dict[str, Any]]:
    """What the delivery queue's consumer does with the cache fills of `repository` queued so
    far (as app.py's `deliver_webhooks` and `berth serve`'s pipeline do); other messages stay
    queued (another test's are not this one's to run). Returns the fill messages it ran."""
    import boto3

    from chalicelib.events.deliver import handle_messages

    sqs = boto3.client("sqs")
    queue = aws["DeliveryQueueUrl"]
    ran: list[dict[str, Any]] = []
    others: list[str] = []
    while True:
        found = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not found:
            break
        for message in found:
            body = json.loads(message["Body"])
            if "cachefill" not in body or body.get("repository") != repository:
                others.append(message["ReceiptHandle"])
                continue
            handle_messages([message["Body"]])
            ran.append(body)
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    for handle in others:  # visible again for whoever they are for
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0)
    return ran


def fetch_location(location: str) -> bytes:
    """What a client sent to upstream's storage downloads (a plain GET, no token)."""
    import urllib.request

    with urllib.request.urlopen(location, timeout=30) as answer:
        return bytes(answer.read())


def first_pull(client: Any, name: str, digest: str) -> bytes:
    """GET a blob Berth has not stored: sent on to upstream's storage (`berth serve`'s
    presigned /_s3/ URL), whose bytes are returned; the fill is queued."""
    response = client.http.get(f"/v2/{name}/blobs/{digest}")
    assert response.status_code == 307, response.body
    location = response.headers["Location"]
    assert "/_s3/" in location, location
    return fetch_location(location)
