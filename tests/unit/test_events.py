"""Registry events, pure: decoding audit items from the stream, their shapes, Standard
Webhooks signatures (checked by the Standard Webhooks reference library), CloudEvents (checked
by the spec's own JSON Schema), webhook target refusals and the retry schedule."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.events import backoff, formats, signing, targets
from chalicelib.events.change import (
    DELETE,
    EXPIRE,
    PUSH,
    REFERRER,
    ROLLBACK,
    TAG,
    from_stream_image,
)
from tests.unit.spec import SPEC_DIR

DIGEST = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64


def image(**fields: object) -> dict[str, object]:
    """A stream record's NewImage of an audit item, as DynamoDB types it."""
    out: dict[str, object] = {
        "pk": {"S": "AUDIT#R#team/app"},
        "sk": {"S": "2026-12-04T10:00:00.123456Z#0a1b2c3d"},
        "action": {"S": "push"},
        "outcome": {"S": "ok"},
        "who": {"S": "user:alice"},
        "digest": {"S": DIGEST},
        "source_ip": {"S": "192.0.2.7"},
        "expires_at": {"N": "1"},
    }
    for key, value in fields.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, (list, dict)):
            out[key] = {"S": json.dumps(value)}
        else:
            out[key] = {"S": str(value)}
    return out


def test_a_push_with_tags_is_a_push_event_with_its_moves() -> None:
    change = from_stream_image(
        image(
            tags=[["v1", None, DIGEST], ["latest", OLD, DIGEST]],
            detail={"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 812},
        )
    )
    assert change is not None
    assert change.kind == PUSH
    assert change.repository == "team/app"
    assert change.at == datetime(2026, 12, 4, 10, 0, 0, 123456, tzinfo=UTC)
    assert [(m.tag, m.before, m.after) for m in change.tags] == [
        ("v1", None, DIGEST),
        ("latest", OLD, DIGEST),
    ]
    detail = formats.detail(change)
    assert detail["action-type"] == "PUSH"
    assert detail["result"] == "SUCCESS"
    assert detail["repository-name"] == "team/app"
    assert detail["image-digest"] == DIGEST
    assert "image-tag" not in detail  # ECR's single tag only when there is exactly one
    assert detail["image-tags"] == ["v1", "latest"]
    assert detail["tag-moves"][1] == {"tag": "latest", "previous-digest": OLD, "digest": DIGEST}
    assert detail["size"] == 812
    assert detail["actor"] == "user:alice"
    assert detail["source-ip"] == "192.0.2.7"


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"detail": {"subject": OLD, "artifactType": "application/spdx+json"}}, REFERRER),
        ({"action": "delete", "tags": [["v1", DIGEST, None]]}, DELETE),
        ({"action": "delete", "who": "system:lifecycle"}, EXPIRE),
        ({"action": "rollback", "tags": [["prod", DIGEST, OLD]]}, ROLLBACK),
        ({"detail": {"existing": True}, "tags": [["prod", OLD, DIGEST]]}, TAG),
        ({"detail": {"existing": True}}, PUSH),  # a re-push that moved nothing
    ],
)
def test_each_kind_of_change(fields: dict[str, object], kind: str) -> None:
    change = from_stream_image(image(**fields))
    assert change is not None and change.kind == kind


@pytest.mark.parametrize(
    "fields",
    [
        {"pk": "AUDIT#P#user:alice"},  # the actor's copy of the same event
        {"outcome": "denied"},
        {"outcome": "failed"},
        {"action": "login"},
        {"action": "grant"},
        {"action": "delete", "detail": {"blob": True}},
        {"pk": "R#team/app", "sk": "T#latest"},  # not an audit item at all
        {"sk": "not-a-time#x"},
    ],
)
def test_what_is_not_an_event(fields: dict[str, object]) -> None:
    assert from_stream_image(image(**fields)) is None


def test_the_event_id_is_stable_and_distinct() -> None:
    a = from_stream_image(image())
    b = from_stream_image(image())
    c = from_stream_image(image(sk="2026-12-04T10:00:00.123456Z#ffffffff"))
    assert a is not None and b is not None and c is not None
    assert a.id == b.id != c.id
    assert "." not in a.id


@given(st.dictionaries(st.sampled_from(["action", "tags", "detail", "digest", "who"]), st.text()))
def test_any_audit_image_decodes_or_is_ignored(fields: dict[str, str]) -> None:
    change = from_stream_image(image(**fields))
    if change is not None:
        formats.encode(formats.berth_body(change))  # serialisable


def test_eventbridge_entry() -> None:
    change = from_stream_image(image(tags=[["prod", OLD, DIGEST]]))
    assert change is not None
    entry = formats.eventbridge_entry(change, "berth.prod", "ci-bus")
    assert entry["Source"] == "berth.prod"
    assert entry["DetailType"] == "Berth Image Action"
    assert entry["EventBusName"] == "ci-bus"
    assert json.loads(entry["Detail"])["image-tag"] == "prod"
    referrer = from_stream_image(image(detail={"subject": OLD}))
    assert referrer is not None
    assert formats.eventbridge_entry(referrer, "s", None)["DetailType"] == "Berth Referrer Action"
    assert "EventBusName" not in formats.eventbridge_entry(referrer, "s", None)


def test_cloudevents_body_follows_the_specs_schema() -> None:
    schema = json.loads((SPEC_DIR / "cloudevents" / "cloudevents.json").read_text())
    change = from_stream_image(image(tags=[["v1", None, DIGEST]]))
    assert change is not None
    body = formats.cloudevent_body(change, "/berth/prod")
    jsonschema.validate(body, schema)
    assert body["type"] == "dev.berth.image.pushed"
    assert body["id"] == change.id


ids = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="."),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60)
@given(msg_id=ids, body=st.binary(max_size=512), timestamp=st.integers(10**9, 2 * 10**9))
def test_signatures_verify_with_the_reference_library(
    msg_id: str, body: bytes, timestamp: int
) -> None:
    secret = signing.new_secret()
    headers = signing.headers(secret, msg_id, timestamp, body)
    signing.verify(secret, headers, body, now=timestamp)
    # The Standard Webhooks library checks against the wall clock: sign as of now for it.
    now = int(datetime.now(UTC).timestamp())
    live = signing.headers(secret, msg_id, now, body)
    Webhook(secret).verify(body, live, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, live, json_parse=False)


def test_a_tampered_or_replayed_delivery_is_refused() -> None:
    secret = signing.new_secret()
    body = b'{"type":"image.pushed"}'
    headers = signing.headers(secret, "evt_1", 1_700_000_000, body)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers, body + b" ", now=1_700_000_000)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers, body, now=1_700_000_000 + 301)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(signing.new_secret(), headers, body, now=1_700_000_000)
    with pytest.raises(ValueError):
        signing.sign(secret, "evt.1", 1, body)
    with pytest.raises(ValueError):
        signing.secret_bytes("whsec_" + "AAAA")  # 3 bytes: too short


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "169.254.169.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_metadata_addresses_are_refused(address: str) -> None:
    with pytest.raises(targets.TargetRefused):
        targets.check([address])


def test_public_addresses_pass_and_an_allowed_network_opens_a_private_one() -> None:
    targets.check(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    with pytest.raises(targets.TargetRefused):
        targets.check(["93.184.216.34", "10.1.2.3"])  # one bad address is enough
    targets.check(["10.1.2.3"], targets.networks(["10.1.2.0/24"]))
    with pytest.raises(targets.TargetRefused):
        targets.check([])


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        "https:///nohost",
        "https://hooks.example.com:99999/",
        "https://hooks.example.com/a b",
        "",
    ],
)
def test_urls_refused_in_aws(url: str) -> None:
    with pytest.raises(targets.TargetRefused):
        targets.parse(url, allow_http=False)


def test_urls_accepted() -> None:
    target = targets.parse("https://hooks.example.com:8443/in?x=1", allow_http=False)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )
    assert targets.parse("http://localhost:9000", allow_http=True).path == "/"


def test_retries_span_more_than_a_day_then_stop() -> None:
    assert backoff.minimum_total() > 24 * 3600
    rng = random.Random(7)
    waits = [backoff.delay(a, rng) for a in range(1, backoff.MAX_ATTEMPTS)]
    assert waits[0] >= backoff.FIRST_SECONDS // 2
    assert sum(waits) > 24 * 3600
    assert max(waits) <= backoff.CAP_SECONDS
    assert not backoff.exhausted(backoff.MAX_ATTEMPTS - 1)
    assert backoff.exhausted(backoff.MAX_ATTEMPTS)
