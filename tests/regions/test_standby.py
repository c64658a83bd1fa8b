"""A standby region (docs/regions.md) serves pulls and refuses every write with one clear
405, leaving the replicated table and bucket as the primary wrote them; its background jobs
(GC, lifecycle, event publishing, the replication re-drive) do nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import settings
from tests.api.helpers import (
    OCI_MANIFEST,
    assert_error,
    assert_ok,
    digest_of,
    fetch_blob,
    get_manifest,
    header,
    image,
    push_image,
    put_manifest,
)

PRIMARY = "https://registry.us-east-1.example"


@pytest.fixture
def standby(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """From here on, this deployment is the standby (as its function's environment says)."""
    monkeypatch.setenv("BERTH_REGION_ROLE", "standby")
    monkeypatch.setenv("BERTH_PRIMARY_URL", PRIMARY)
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def _refused(response: Any) -> None:
    assert_error(response, 405, "UNSUPPORTED")
    message = json.loads(response.body)["errors"][0]["message"]
    assert "read-only standby" in message and PRIMARY in message, message


def test_standby_reads_and_refuses_writes(
    client: Any, s3: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed = push_image(client, repo, "v1")
    monkeypatch.setenv("BERTH_REGION_ROLE", "standby")
    monkeypatch.setenv("BERTH_PRIMARY_URL", PRIMARY)
    settings.cache_clear()
    try:
        response = get_manifest(client, repo, "v1")
        assert_ok(response, 200)
        assert response.body == pushed.body
        config = pushed.blobs[0]
        assert fetch_blob(client, s3, repo, digest_of(config)) == config
        assert_ok(client.http.get(f"/v2/{repo}/tags/list"), 200)

        other = image()
        _refused(put_manifest(client, repo, "v1", other.body, OCI_MANIFEST))
        _refused(
            client.http.post(
                f"/v2/{repo}/blobs/uploads/", headers={"content-length": "0"}, body=b""
            )
        )
        _refused(client.http.delete(f"/v2/{repo}/manifests/{pushed.digest}"))
        _refused(
            client.http.put(
                f"/v2/{repo}/_berth/settings",
                headers={"content-type": "application/json"},
                body=b'{"immutable": true}',
            )
        )
        # Nothing moved: the tag still names what the primary pushed.
        again = get_manifest(client, repo, "v1")
        assert header(again, "Docker-Content-Digest") == pushed.digest
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    # Promoted (the role back to primary): writes are taken again.
    assert_ok(put_manifest(client, repo, "v2", pushed.body, OCI_MANIFEST), 201)


def test_background_jobs_do_nothing_in_a_standby(
    client: Any, repo: str, standby: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.events import publish
    from chalicelib.gc import collect
    from chalicelib.lifecycle import executor, schedule
    from chalicelib.replication import backfill

    def untouchable(*_args: object, **_kwargs: object) -> Any:
        raise AssertionError("a standby ran a job the primary owns")

    monkeypatch.setattr(collect, "collect", untouchable)
    monkeypatch.setattr(schedule, "run_all", untouchable)
    monkeypatch.setattr(executor, "run_all", untouchable)
    monkeypatch.setattr(publish, "changes", untouchable)
    monkeypatch.setattr(backfill.rules, "list_all", untouchable)

    assert collect.scheduled().blobs == 0
    assert schedule.scheduled().repositories == []
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "A#x"}}}}
    assert publish.handle_records([record]) == publish.Published(0, 0)
    assert backfill.redrive_all() == 0
