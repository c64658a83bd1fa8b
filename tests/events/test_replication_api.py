"""Replication rules through the admin API and the queue, on moto: validation (credentials
only by reference, never in the table), backfill of what a rule did not see, referrers
following their subject, deletes only when asked, and a destination that never answers
ending failed with its attempts counted, dead-lettered, then redriven."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.api.helpers import artifact, assert_error, assert_ok, push, push_image
from tests.events.conftest import Pump
from tests.events.test_replication_ecr import ACCOUNT, REGION, add_rule, rules_cleared, status_of

__all__ = ["rules_cleared"]

ECR = {"kind": "ecr", "account": ACCOUNT, "region": REGION, "prefix": "api-"}


def post(client: Any, path: str, document: Any) -> Any:
    return client.http.post(
        path, headers={"content-type": "application/json"}, body=json.dumps(document).encode()
    )


def ecr_tags(repo: str) -> list[list[str]]:
    ecr = boto3.client("ecr", region_name=REGION)
    details = ecr.describe_images(repositoryName="api-" + repo.replace("/", "-"))["imageDetails"]
    return sorted(sorted(d.get("imageTags", [])) for d in details)


@pytest.mark.parametrize(
    "document",
    [
        {"repository": "a", "destinations": [{"kind": "registry", "url": "https://r.example",
                                              "password": "hunter2"}]},
        {"repository": "a", "destinations": []},
        {"repository": "a b", "destinations": [ECR]},
        {"repository": "a", "destinations": [ECR], "actions": ["copy"]},
        {"repository": "a", "destinations": [ECR], "includeTags": ["no spaces"]},
        {"repository": "a", "destinations": [ECR], "referrers": "yes"},
    ],
)  # fmt: skip
def test_bad_rules_are_refused(client: Any, document: dict[str, Any], rules_cleared: None) -> None:
    assert_error(post(client, "/v2/_berth/replication", document), 400, "UNSUPPORTED")


def test_a_rule_keeps_references_not_secrets(
    client: Any, aws: dict[str, str], rules_cleared: None
) -> None:
    # chalice.test.Client runs requests in the dev stage's environment (.chalice/config.json).
    reference = {"ssm": "/berth/dev/replication/mirror"}
    created = add_rule(
        client,
        repository="team/*",
        destinations=[{"kind": "registry", "url": "https://r.example", "credentials": reference}],
        includeTags=["v*"],
    )
    listed = json.loads(client.http.get("/v2/_berth/replication").body)["rules"]
    assert [r["id"] for r in listed] == [created["id"]]
    assert created["destinations"][0]["credentials"] == reference
    raw = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    stored = [i for i in raw if i["pk"]["S"] == "REPLICATION"]
    assert len(stored) == 1 and "password" not in json.dumps(stored)
    assert_ok(client.http.delete(f"/v2/_berth/replication/{created['id']}"), 200)
    assert_error(client.http.get(f"/v2/_berth/replication/{created['id']}"), 404, "NAME_UNKNOWN")


def test_backfill_copies_what_was_there_before_the_rule(
    client: Any, repo: str, pump: Pump, rules_cleared: None
) -> None:
    push_image(client, repo, "v1")
    push_image(client, repo, "v2")
    push_image(client, repo, "dev")
    pump.publish()
    rule = add_rule(client, repository=repo, destinations=[ECR], includeTags=["v*"])
    answer = post(client, f"/v2/_berth/replication/{rule['id']}/backfill", {"repository": repo})
    assert_ok(answer, 202)
    assert json.loads(answer.body)["queued"] == 2
    pump.deliver()
    assert ecr_tags(repo) == [["v1"], ["v2"]]
    assert {(r["tag"], r["state"]) for r in status_of(client, repo)} == {
        ("v1", "done"),
        ("v2", "done"),
    }
    other = post(client, f"/v2/_berth/replication/{rule['id']}/backfill", {"repository": "x/y"})
    assert_error(other, 400, "UNSUPPORTED")


def test_referrers_follow_their_subject_and_deletes_replicate_when_asked(
    client: Any, repo: str, pump: Pump, rules_cleared: None
) -> None:
    add_rule(client, repository=repo, destinations=[ECR], actions=["push", "tag_delete"])
    subject = push_image(client, repo, "prod")
    sbom = artifact(subject=subject)
    push(client, repo, sbom)
    pump.publish()
    pump.deliver()
    ecr = boto3.client("ecr", region_name=REGION)
    name = "api-" + repo.replace("/", "-")
    (found,) = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": sbom.digest}])[
        "images"
    ]
    assert found["imageManifest"].encode() == sbom.body
    assert ecr_tags(repo) == [[], ["prod"]]

    assert_ok(client.http.delete(f"/v2/{repo}/manifests/prod"), 202)
    pump.publish()
    pump.deliver()
    # ECR's rule: removing an image's last tag removes the image; the SBOM stays.
    assert ecr_tags(repo) == [[]]


def test_an_unreachable_destination_fails_dead_letters_and_is_redriven(
    client: Any, repo: str, pump: Pump, rules_cleared: None
) -> None:
    add_rule(
        client, repository=repo, destinations=[{"kind": "registry", "url": "http://127.0.0.1:9"}]
    )
    push_image(client, repo, "v1")
    pump.publish()
    pump.deliver(rounds=500)
    (replica,) = status_of(client, repo)
    assert replica["state"] == "failed" and replica["attempts"] == 20
    assert "127.0.0.1" in replica["error"] or "refused" in replica["error"].lower()
    (dead,) = pump.queued(pump.aws["DeadLetterQueueUrl"])
    assert dead["replication"] and dead["attempt"] == 20

    answer = client.http.post(f"/v2/_berth/replication/redrive?repository={repo}")
    assert_ok(answer, 202)
    assert json.loads(answer.body)["queued"] == 1
    (again,) = pump.queued()
    assert (again["attempt"], again["tag"]) == (1, "v1")


def test_the_periodic_check_redrives_only_what_ran_out_of_retries(
    client: Any, repo: str, pump: Pump, rules_cleared: None
) -> None:
    from chalicelib.events.deliver import handle_messages
    from chalicelib.replication.backfill import redrive_all

    add_rule(
        client, repository=repo, destinations=[{"kind": "registry", "url": "http://127.0.0.1:9"}]
    )
    push_image(client, repo, "v1")
    pump.publish()
    (first,) = pump.queued()
    handle_messages([json.dumps(first)], clock=pump.clock)  # one failed attempt, retry queued
    assert redrive_all() == 0  # still being retried
    pump.deliver(rounds=500)
    assert status_of(client, repo)[0]["attempts"] == 20
    assert redrive_all() == 1
    ((replica,),) = [status_of(client, repo)]
    assert (replica["state"], replica["attempts"]) == ("pending", 0)


def test_a_destination_at_a_private_or_metadata_address_is_refused_unless_allowed(
    client: Any, rules_cleared: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    metadata = {
        "repository": "a",
        "destinations": [{"kind": "registry", "url": "https://169.254.169.254"}],
    }
    answer = post(client, "/v2/_berth/replication", metadata)
    assert_error(answer, 400, "UNSUPPORTED")
    assert b"link-local" in answer.body and b"BERTH_REPLICATION_ALLOW_NETWORKS" in answer.body
    monkeypatch.delenv("BERTH_REPLICATION_ALLOW_NETWORKS")
    loopback = {
        "repository": "a",
        "destinations": [{"kind": "registry", "url": "https://127.0.0.1:9"}],
    }
    answer = post(client, "/v2/_berth/replication", loopback)
    assert_error(answer, 400, "UNSUPPORTED")
    assert b"loopback" in answer.body
    assert json.loads(client.http.get("/v2/_berth/replication").body)["rules"] == []


def test_a_destination_no_longer_allowed_at_delivery_fails_the_copy_without_connecting(
    client: Any, repo: str, pump: Pump, rules_cleared: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_rule(
        client, repository=repo, destinations=[{"kind": "registry", "url": "https://127.0.0.1:9"}]
    )
    monkeypatch.delenv("BERTH_REPLICATION_ALLOW_NETWORKS")  # the operator took it back
    push_image(client, repo, "v1")
    pump.publish()
    pump.deliver(rounds=500)
    (replica,) = status_of(client, repo)
    assert replica["state"] == "failed" and replica["attempts"] == 20
    assert "AddressRefused" in replica["error"] and "loopback" in replica["error"]
