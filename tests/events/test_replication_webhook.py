"""Replication results as webhook events: a webhook subscribed to REPLICATION receives an
`image.replicated` per result, signed like every delivery, with the fields of the
`Berth Replication Action` (result, error, attempt, where it went); one for a success, and
for a failure one at the first attempt and one when the retries run out."""

from __future__ import annotations

import json
from typing import Any

from standardwebhooks.webhooks import Webhook

from chalicelib.events import backoff
from tests.api.helpers import push_image
from tests.events.conftest import Pump, Receiver
from tests.events.test_pipeline import add_webhook
from tests.events.test_replication_ecr import ACCOUNT, REGION, add_rule, rules_cleared

__all__ = ["rules_cleared"]


def test_a_successful_copy_is_announced_to_a_subscribed_webhook(
    client: Any, repo: str, receiver: Receiver, pump: Pump, rules_cleared: None
) -> None:
    hook = add_webhook(client, receiver.url, events=["REPLICATION"], repositories=[repo])
    rule = add_rule(
        client,
        repository=repo,
        destinations=[{"kind": "ecr", "account": ACCOUNT, "region": REGION, "prefix": "hook-"}],
    )
    pushed = push_image(client, repo, "v1")
    pump.publish()
    pump.deliver()
    (got,) = receiver.received  # the push itself is not a REPLICATION event
    Webhook(hook["secret"]).verify(got.body, got.headers, json_parse=False)
    body = json.loads(got.body)
    assert body["type"] == "image.replicated"
    data = body["data"]
    assert data["result"] == "SUCCESS" and data["action-type"] == "REPLICATE"
    assert (data["repository-name"], data["image-digest"], data["image-tag"]) == (
        repo,
        pushed.digest,
        "v1",
    )
    assert data["rule-id"] == rule["id"] and data["attempt"] == 1
    assert data["destination-repository"] == "hook-" + repo.replace("/", "-")
    assert data["copy-id"].startswith("rep_") and "error" not in data
    assert got.headers["webhook-id"] == data["copy-id"] + "_01"


def test_a_failing_copy_is_announced_at_its_first_and_last_attempt(
    client: Any, repo: str, receiver: Receiver, pump: Pump, rules_cleared: None
) -> None:
    add_webhook(
        client, receiver.url, events=["REPLICATION"], repositories=[repo], format="cloudevents"
    )
    add_rule(
        client, repository=repo, destinations=[{"kind": "registry", "url": "https://127.0.0.1:9"}]
    )
    push_image(client, repo, "v1")
    pump.publish()
    pump.deliver(rounds=500)
    bodies = [json.loads(r.body) for r in receiver.delivered()]
    assert [b["type"] for b in bodies] == ["dev.berth.image.replicated"] * 2
    assert [b["data"]["attempt"] for b in bodies] == [1, backoff.MAX_ATTEMPTS]
    for body in bodies:
        assert body["subject"] == repo
        assert body["data"]["result"] == "FAILURE"
        assert body["data"]["destination"] == "https://127.0.0.1:9"
        assert body["data"]["error"]
    assert len({b["id"] for b in bodies}) == 2
