"""Events end to end on moto: a push becomes an EventBridge event and a signed webhook to a
real receiver; failures retry with backoff, end in the dead-letter queue and redeliver; a
failed transaction emits nothing, a crash after the commit loses nothing; SSRF is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from standardwebhooks.webhooks import Webhook

from chalicelib.events import backoff, signing
from tests.api.helpers import assert_ok, image, push_blob, push_image, put_manifest
from tests.events.conftest import Clock, Pump, Receiver
from tests.faults import injected


@contextmanager
def fail_once(operation: str) -> Iterator[None]:
    """The next runtime call of `operation` fails as AWS would."""
    original = botocore.client.BaseClient._make_api_call
    armed = [True]

    def call(client: Any, name: str, params: dict[str, Any]) -> Any:
        if name == operation and armed[0]:
            armed[0] = False
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, name)
        return original(client, name, params)

    botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def add_webhook(client: Any, url: str, **fields: Any) -> dict[str, Any]:
    document = {"url": url, "repositories": ["*"], **fields}
    response = client.http.post(
        "/v2/_berth/webhooks",
        headers={"content-type": "application/json"},
        body=json.dumps(document).encode(),
    )
    assert_ok(response, 201)
    created: dict[str, Any] = json.loads(response.body)
    return created


def test_a_push_is_signed_and_delivered(
    client: Any, repo: str, receiver: Receiver, pump: Pump
) -> None:
    hook = add_webhook(client, receiver.url, events=["PUSH"])
    pushed = push_image(client, repo, "v1")
    published = pump.publish()
    assert (published.events, published.deliveries) == (1, 1)
    assert pump.deliver() == 1
    (got,) = receiver.received
    Webhook(hook["secret"]).verify(got.body, got.headers, json_parse=False)  # the reference
    body = json.loads(got.body)
    assert body["type"] == "image.pushed"
    data = body["data"]
    assert data["repository-name"] == repo
    assert data["image-digest"] == pushed.digest
    assert data["image-tag"] == "v1"
    assert data["media-type"] == pushed.media_type
    assert data["size"] == len(pushed.body)
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["webhook-id"].startswith("evt_")


def test_only_what_a_webhook_subscribed_to(
    client: Any, repo: str, receiver: Receiver, pump: Pump
) -> None:
    add_webhook(client, receiver.url, events=["DELETE"], repositories=[repo])
    pushed = push_image(client, repo, "v1")
    push_image(client, "other/" + repo.split("/")[1], "v1")
    assert pump.publish().deliveries == 0  # pushes, and another repository
    assert client.http.delete(f"/v2/{repo}/manifests/{pushed.digest}").status_code == 202
    assert pump.publish().deliveries == 1
    pump.deliver()
    (got,) = receiver.received
    body = json.loads(got.body)
    assert body["type"] == "image.deleted"
    assert (
        body["data"]["tag-moves"]
        == [{"tag": "v1", "previous-digest": pushed.digest, "digest": None}][:0]
        or body["data"]["image-digest"] == pushed.digest
    )


def test_a_receiver_that_fails_then_recovers_gets_each_event_once(
    client: Any, repo: str, receiver: Receiver, pump: Pump, clock: Clock
) -> None:
    hook = add_webhook(client, receiver.url)
    receiver.answers = [500, 503, 302]  # a redirect is a failure, not followed
    push_image(client, repo, "v1")
    push_image(client, repo, "v2")
    pump.publish()
    pump.deliver()
    ids = [r.headers["webhook-id"] for r in receiver.delivered()]
    assert len(ids) == len(set(ids)) == 2  # each event exactly once by webhook-id
    assert len(receiver.received) == 5
    for got in receiver.received:  # every attempt is signed, at its own time
        stamp = int(got.headers["webhook-timestamp"])
        signing.verify(hook["secret"], got.headers, got.body, now=stamp)
    log = client.http.get(f"/v2/_berth/webhooks/{hook['id']}/deliveries")
    assert_ok(log, 200)
    attempts = json.loads(log.body)["deliveries"]
    assert len(attempts) == 5
    assert sorted(a["status"] for a in attempts) == [200, 200, 302, 500, 503]
    assert any(a["attempt"] > 1 for a in attempts)


def test_a_receiver_down_for_long_ends_in_the_dead_letter_queue_then_redelivers(
    client: Any, repo: str, receiver: Receiver, pump: Pump, aws: dict[str, str]
) -> None:
    hook = add_webhook(client, receiver.url, format="cloudevents")
    receiver.answers = [503] * backoff.MAX_ATTEMPTS
    push_image(client, repo, "v1")
    pump.publish()
    started = pump.clock.now
    pump.deliver(rounds=500, step=3600)
    assert len(receiver.received) == backoff.MAX_ATTEMPTS
    assert pump.clock.now - started > 24 * 3600  # retried for more than a day
    assert receiver.delivered() == []
    response = client.http.post(
        f"/v2/_berth/webhooks/{hook['id']}/redeliver",
        headers={"content-type": "application/json"},
        body=b'{"deadLetters": true}',
    )
    assert_ok(response, 202)
    assert json.loads(response.body) == {"moved": 1}
    pump.deliver()
    (got,) = receiver.delivered()
    assert got.headers["Content-Type"] == "application/cloudevents+json"
    assert json.loads(got.body)["specversion"] == "1.0"
    # And one event redelivered by its id from the log.
    event = got.headers["webhook-id"]
    again = client.http.post(
        f"/v2/_berth/webhooks/{hook['id']}/redeliver",
        headers={"content-type": "application/json"},
        body=json.dumps({"event": event}).encode(),
    )
    assert_ok(again, 202)
    pump.deliver()
    assert [r.headers["webhook-id"] for r in receiver.delivered()] == [event, event]


def test_a_failed_transaction_emits_nothing(
    client: Any, repo: str, receiver: Receiver, pump: Pump
) -> None:
    add_webhook(client, receiver.url)
    pushed = image()
    for blob in pushed.blobs:
        push_blob(client, repo, blob)
    with injected() as probe:
        put_manifest(client, repo, "v1", pushed.body, pushed.media_type)
    transact = probe.calls.index("TransactWriteItems")
    with injected(fail_at=transact):
        response = put_manifest(client, repo, "v1", pushed.body, pushed.media_type)
    assert response.status_code == 503
    published = pump.publish()
    assert published.events == 1  # the first, committed push only
    pump.deliver()
    assert len(receiver.received) == 1


def test_a_crash_between_commit_and_publish_loses_nothing(
    client: Any, repo: str, receiver: Receiver, pump: Pump, aws: dict[str, str]
) -> None:
    """The consumer fails after the push committed: the stream hands the batch again (the
    local pipeline keeps it, as Lambda's mapping does) and the event arrives once."""
    from berth.localserver.pipeline import Pipeline
    from chalicelib.events.deliver import handle_messages
    from chalicelib.events.publish import handle_records

    add_webhook(client, receiver.url)
    push_image(client, repo, "v1")
    pipeline = Pipeline(
        pump.reader,
        boto3.client("sqs"),
        aws["DeliveryQueueUrl"],
        handle_records,
        lambda bodies: handle_messages(bodies, clock=pump.clock),
    )
    with fail_once("PutEvents"), pytest.raises(Exception, match="injected"):
        pipeline.step()  # PutEvents fails after the commit: nothing was queued
    assert pump.queued() == []
    assert pipeline.step() >= 1
    pipeline.step()
    assert len(receiver.delivered()) == 1


def test_eventbridge_rule_with_a_detail_pattern_routes_to_sqs(
    client: Any, repo: str, pump: Pump
) -> None:
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName=f"prod-moves-{repo.split('/')[1]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"prod-{repo.split('/')[1]}"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["berth.local", "berth.test"],
                "detail-type": ["Berth Image Action"],
                "detail": {
                    "action-type": ["PUSH"],
                    "image-tag": ["prod"],
                    "repository-name": [repo],
                },
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    push_image(client, repo, "dev")
    prod = push_image(client, repo, "prod")
    pump.publish()
    got = pump.queued(queue)
    assert len(got) == 1
    assert got[0]["detail"]["image-digest"] == prod.digest
    assert got[0]["detail-type"] == "Berth Image Action"


def test_ssrf_targets_are_refused(client: Any, repo: str, pump: Pump, monkeypatch: Any) -> None:
    for url in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.8/hook", "ftp://x/"):
        response = client.http.post(
            "/v2/_berth/webhooks",
            headers={"content-type": "application/json"},
            body=json.dumps({"url": url, "repositories": ["*"]}).encode(),
        )
        assert response.status_code == 400, url
        assert json.loads(response.body)["errors"][0]["code"] == "UNSUPPORTED"
    # A name that resolves to a private address: refused when delivering (DNS rebinding).
    from chalicelib.events import http_post

    monkeypatch.setattr(http_post, "resolve", lambda host, port: ["10.9.8.7"])
    hook = add_webhook(client, "http://hooks.example.com/in")
    push_image(client, repo, "v1")
    pump.publish()
    from chalicelib.events.deliver import handle_messages

    (message,) = pump.queued()
    handle_messages([json.dumps(message)], clock=pump.clock, resolver=http_post.resolve)
    log = json.loads(client.http.get(f"/v2/_berth/webhooks/{hook['id']}/deliveries").body)
    (attempt,) = log["deliveries"]
    assert attempt["status"] is None
    assert "10.9.8.7 is not a public address" in attempt["error"]


def test_the_test_ping_and_the_secret_shown_once(
    client: Any, receiver: Receiver, local_webhooks: None
) -> None:
    hook = add_webhook(client, receiver.url)
    listed = json.loads(client.http.get("/v2/_berth/webhooks").body)["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    response = client.http.post(f"/v2/_berth/webhooks/{hook['id']}/test")
    assert_ok(response, 200)
    assert json.loads(response.body)["ok"] is True
    (got,) = receiver.received
    assert json.loads(got.body)["type"] == "webhook.ping"
    Webhook(hook["secret"]).verify(got.body, got.headers, json_parse=False)
    assert client.http.delete(f"/v2/_berth/webhooks/{hook['id']}").status_code == 200
    assert client.http.get(f"/v2/_berth/webhooks/{hook['id']}").status_code == 404


def test_moving_a_tag_to_a_manifest_the_repository_has_is_a_tag_event(
    client: Any, repo: str, receiver: Receiver, pump: Pump
) -> None:
    add_webhook(client, receiver.url, events=["TAG"])
    pushed = push_image(client, repo, "v1")
    assert_ok(put_manifest(client, repo, "stable", pushed.body, pushed.media_type), 201)
    assert pump.publish().deliveries == 1  # the push itself is not a TAG
    pump.deliver()
    (got,) = receiver.delivered()
    body = json.loads(got.body)
    assert body["type"] == "tag.moved"
    assert body["data"]["tag-moves"] == [{"tag": "stable", "digest": pushed.digest}]


def test_a_lifecycle_expiry_is_an_expire_event(
    client: Any, repo: str, receiver: Receiver, pump: Pump
) -> None:
    from tests.lifecycle.test_lifecycle_api import POLICY, put_policy

    add_webhook(client, receiver.url, events=["EXPIRE", "DELETE"])
    first = push_image(client, repo)
    push_image(client, repo)
    assert_ok(put_policy(client, repo, POLICY), 200)
    assert_ok(client.http.post(f"/v2/{repo}/_berth/lifecycle", body=b""), 200)
    assert pump.publish().deliveries == 1
    pump.deliver()
    (got,) = receiver.delivered()
    body = json.loads(got.body)
    assert body["type"] == "image.expired"
    assert body["data"]["image-digest"] == first.digest
    assert body["data"]["actor"] == "system:lifecycle"


def test_a_cloudevents_webhooks_ping_is_a_cloudevent(
    client: Any, receiver: Receiver, local_webhooks: None
) -> None:
    """The ping tests the receiver's parser too: in the webhook's own format."""
    import jsonschema

    from tests.unit.spec import SPEC_DIR

    hook = add_webhook(client, receiver.url, format="cloudevents")
    assert_ok(client.http.post(f"/v2/_berth/webhooks/{hook['id']}/test"), 200)
    (got,) = receiver.received
    assert got.headers["Content-Type"] == "application/cloudevents+json"
    body = json.loads(got.body)
    schema = json.loads((SPEC_DIR / "cloudevents" / "cloudevents.json").read_text())
    jsonschema.validate(body, schema)
    assert body["type"] == "dev.berth.webhook.ping"
    assert body["id"] == got.headers["webhook-id"]


def test_a_verified_signature_is_a_signature_event(
    client: Any, repo: str, receiver: Receiver, pump: Pump
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from chalicelib.storage import trust_policy
    from tests.api.helpers import push
    from tests.api.test_signing_policy import bundle_signature, enforce

    trust_policy.forget_cached()
    add_webhook(client, receiver.url, events=["SIGNATURE"])
    key = ec.generate_private_key(ec.SECP256R1())
    pushed = push_image(client, repo, "v1")
    enforce(client, repo, key, mode="audit")
    signature = bundle_signature(key, pushed)
    push(client, repo, signature)
    assert pump.publish().deliveries == 1  # the signature's push is a REFERRER, not subscribed
    pump.deliver()
    (got,) = receiver.delivered()
    body = json.loads(got.body)
    assert body["type"] == "signature.verified"
    data = body["data"]
    assert data["image-digest"] == signature.digest and data["subject-digest"] == pushed.digest
    assert data["verified"] is True and data["signer"].startswith("sha256:")
    assert_ok(
        client.http.put(
            "/v2/_berth/signing/policy",
            headers={"content-type": "application/json"},
            body=b'{"rules": []}',
        ),
        200,
    )
    trust_policy.forget_cached()
