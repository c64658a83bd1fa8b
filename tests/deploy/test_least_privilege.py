"""Least privilege: the runtime's IAM policy allows every AWS call it makes, and nothing else.

"Enough" is checked on every test of the suite (tests/deploy/audit.py, per xdist worker).
"Nothing more" needs one process to see every kind of call, so one test here drives each
storage path through the HTTP API (a client's eye view, stable under refactoring) and
requires each granted action to be used by some call on the statement's resource.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.client
import pytest
from botocore.exceptions import ClientError

from berth.deploy.iam_policy import LOG_ACTIONS, POLL_ACTIONS, policy, policy_file, render
from tests.api.helpers import (
    OCTET,
    assert_ok,
    digest_of,
    image,
    patch_upload,
    push,
    put_manifest,
    put_upload,
    random_bytes,
    start_upload,
)
from tests.deploy.audit import refused
from tests.deploy.permissions import Permission, allows, statements
from tests.deploy.recorder import Recorder

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")
MiB = 1024 * 1024


@pytest.mark.parametrize("stage", STAGES)
def test_policy_files_are_current(stage: str) -> None:
    assert policy_file(stage).read_text() == render(policy(stage)), (
        f"run: .venv/bin/python -m berth.deploy.iam_policy {stage}"
    )


@pytest.mark.parametrize("stage", STAGES)
def test_chalice_stage_uses_the_hand_written_policy(stage: str) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    settings = config["stages"][stage]
    assert settings["autogen_policy"] is False
    assert settings["iam_policy_file"] == policy_file(stage).name
    assert settings["environment_variables"]["BERTH_STAGE"] == stage


def test_policy_is_scoped_to_the_stage() -> None:
    document = policy("dev")
    assert allows(document, ("s3:GetObject", "arn:aws:s3:::berth-dev-123456789012-eu-west-1/x"))
    assert not allows(
        document, ("s3:GetObject", "arn:aws:s3:::berth-prod-123456789012-eu-west-1/x")
    )
    assert not allows(document, ("s3:GetObject", "arn:aws:s3:::berth-dev-evil/x"))
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/berth-dev-meta"
    assert allows(document, ("dynamodb:PutItem", table))
    assert not allows(document, ("dynamodb:DeleteTable", table))
    assert not allows(document, ("dynamodb:PutItem", table.replace("-dev-", "-prod-")))
    exact = policy("dev", account="123456789012", region="eu-west-1")
    assert allows(exact, ("dynamodb:PutItem", table))
    assert not allows(exact, ("dynamodb:PutItem", table.replace("eu-west-1", "us-east-1")))
    # The scan queues: sent to (and the scan queue polled) by this stage only; the scan
    # dead letters are written, never read back by the code.
    scans = "arn:aws:sqs:eu-west-1:123456789012:berth-dev-scans"
    assert allows(document, ("sqs:SendMessage", scans))
    assert allows(document, ("sqs:SendMessage", scans + "-dead"))
    assert allows(document, ("sqs:ReceiveMessage", scans))
    assert not allows(document, ("sqs:ReceiveMessage", scans + "-dead"))
    assert not allows(document, ("sqs:SendMessage", scans.replace("-dev-", "-prod-")))


def test_the_signing_key_is_the_stages_by_alias() -> None:
    (statement,) = [s for s in policy("dev")["Statement"] if s["Sid"] == "TokenSigningKey"]
    assert statement["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/berth-dev-token"}
    }
    (verifying,) = [s for s in policy("dev")["Statement"] if s["Sid"] == "TokenVerifyingKeys"]
    assert verifying["Action"] == ["kms:GetPublicKey"]
    assert verifying["Condition"] == {
        "ForAnyValue:StringEquals": {
            "kms:ResourceAliases": ["alias/berth-dev-token", "alias/berth-dev-token-previous"]
        }
    }


def _fail_once(operation: str) -> Callable[[], None]:
    """Make the next runtime call of `operation` fail as S3 would; returns the undo."""
    original = botocore.client.BaseClient._make_api_call
    state = {"armed": True}

    def call(client: Any, name: str, params: dict[str, Any]) -> Any:
        if name == operation and state["armed"]:
            state["armed"] = False
            raise ClientError({"Error": {"Code": "InternalError", "Message": "fault"}}, name)
        return original(client, name, params)

    botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]

    def undo() -> None:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]

    return undo


def _every_storage_path(client: Any, repo: str) -> None:
    # Monolithic pushes, a manifest with a tag, a large manifest (kept in S3), reads.
    pushed = image(layers=2)
    push(client, repo, pushed, "v1")
    big = image(annotations={"big": "x" * (400 * 1024)})
    push(client, repo, big)
    for path in (
        f"/v2/{repo}/manifests/v1",
        f"/v2/{repo}/manifests/{big.digest}",
        f"/v2/{repo}/blobs/{digest_of(pushed.blobs[1])}",
        f"/v2/{repo}/tags/list",
        f"/v2/{repo}/referrers/{pushed.digest}",
        "/v2/_catalog",
    ):
        assert client.http.get(path).status_code in (200, 307), path
    # A chunked upload over S3's part minimum: staging parts, then the assembly.
    layer = random_bytes(5 * MiB + 17)
    location = start_upload(client, repo)
    response = patch_upload(client, location, layer[: 5 * MiB + 1])
    assert_ok(response, 202)
    response = put_upload(client, location, layer[5 * MiB + 1 :], digest_of(layer))
    assert_ok(response, 201)
    # An assembly that fails half-way aborts its multipart upload.
    other = random_bytes(5 * MiB + 3)
    location = start_upload(client, repo)
    assert_ok(patch_upload(client, location, other), 202)
    undo = _fail_once("CompleteMultipartUpload")
    try:
        assert put_upload(client, location, b"", digest_of(other)).status_code == 503
    finally:
        undo()
    # Immutable tags: moving an exempt tag checks the rules did not change (ConditionCheck).
    settings = client.http.put(
        f"/v2/{repo}/_berth/settings",
        headers={"content-type": "application/json"},
        body=json.dumps({"immutableTags": True, "immutableTagsExclude": ["v1"]}).encode(),
    )
    assert_ok(settings, 200)
    push(client, repo, image(), "v1")
    # Deletes.
    assert client.http.delete(f"/v2/{repo}/manifests/{big.digest}").status_code == 202
    blob = digest_of(pushed.blobs[1])
    assert client.http.delete(f"/v2/{repo}/blobs/{blob}").status_code == 202
    assert put_manifest(client, repo, "v3", b"{}", OCTET).status_code >= 400
    # Garbage collection: scans, lists, condemns (BatchWriteItem), deletes. The layer of
    # the deleted large manifest, once unlinked, is a candidate after the grace period.
    from chalicelib.gc.collect import collect

    layer = digest_of(big.blobs[-1])
    assert client.http.delete(f"/v2/{repo}/blobs/{layer}").status_code == 202

    collect(grace=-3600)


def _events(client: Any, repo: str, aws: dict[str, str]) -> None:
    """A push through the event handlers (chalicelib/events/): EventBridge, the delivery
    queue, a failed attempt re-queued, one dead-lettered, and the dead letters redriven."""
    import boto3

    from berth.localserver.pipeline import StreamReader, as_lambda_records, streams_client
    from chalicelib.events import backoff, webhooks
    from chalicelib.events.deliver import handle_messages, redrive_dead_letters
    from chalicelib.events.publish import handle_records

    reader = StreamReader(streams_client(), aws["TableStreamArn"])
    hook = webhooks.create(url="https://hooks.example.com/in", patterns=["*"], events=["PUSH"])
    deploys = _deploy_targets(repo)
    try:
        push(client, repo, image(), "events")
        assert handle_records(as_lambda_records(reader.poll())).deliveries >= 3
        sqs = boto3.client("sqs")
        queued = sqs.receive_message(QueueUrl=aws["DeliveryQueueUrl"], MaxNumberOfMessages=10)
        bodies = [m["Body"] for m in queued["Messages"]]
        handle_messages([b for b in bodies if '"trigger"' in b])  # ECS and Lambda updates
        message = json.loads(next(b for b in bodies if '"webhook"' in b))
        refuse = lambda host, port: ["10.0.0.1"]  # noqa: E731
        handle_messages([json.dumps(message)], resolver=refuse)  # refused: queued again
        last = {**message, "attempt": backoff.MAX_ATTEMPTS}
        handle_messages([json.dumps(last)], resolver=refuse)  # into the dead-letter queue
        assert redrive_dead_letters() >= 1
        # Scans: queued on their own queue, and one whose attempts ran out dead-lettered there.
        from chalicelib.oci.digest import parse_digest
        from chalicelib.scanner import scan_queue
        from chalicelib.scanner.on_push import scan_message
        from chalicelib.storage.blobs import blob_key

        lost = image()
        push(client, repo, lost, "lost-layer")
        boto3.client("s3").delete_object(  # the scan's GET of the layer then fails
            Bucket=os.environ["BERTH_BUCKET"], Key=blob_key(parse_digest(digest_of(lost.blobs[1])))
        )
        scan_queue.send([scan_message("lp-scan", repo, "sha256:" + "0" * 64)])
        broken = {**scan_message("lp-dead", repo, lost.digest), "attempt": backoff.MAX_ATTEMPTS}
        scan_queue.handle_messages([json.dumps(broken)])
        dead = sqs.receive_message(QueueUrl=aws["ScanDeadLetterQueueUrl"], MaxNumberOfMessages=10)
        assert [json.loads(m["Body"])["id"] for m in dead["Messages"]] == ["lp-dead"]
    finally:
        hook.item.delete()
        webhooks.forget()
        for trigger in deploys:
            trigger.delete()
        for url in (
            aws["DeliveryQueueUrl"],
            aws["DeadLetterQueueUrl"],
            aws["ScanQueueUrl"],
            aws["ScanDeadLetterQueueUrl"],
        ):
            boto3.client("sqs").purge_queue(QueueUrl=url)  # delayed retries too


def _replication(client: Any, repo: str) -> None:
    """Copies into ECR (create, layers, image, tag and manifest deletes) and to registries
    whose credentials are in SSM and Secrets Manager (refused there: the reads count)."""
    import boto3

    from chalicelib.events.change import DELETE, PUSH, Change, TagMove
    from chalicelib.replication import handler, rules

    pushed = image()
    push(client, repo, pushed, "replicated")
    stage = os.environ.get("BERTH_STAGE")
    os.environ["BERTH_STAGE"] = "test"  # the stage whose policy is checked
    allowed = os.environ.get("BERTH_REPLICATION_ALLOW_NETWORKS")
    os.environ["BERTH_REPLICATION_ALLOW_NETWORKS"] = "127.0.0.0/8"  # as `berth serve` sets it
    path = rules.secret_path()
    boto3.client("ssm").put_parameter(
        Name=f"/{path}lp", Value="u:p", Type="SecureString", Overwrite=True
    )
    boto3.client("secretsmanager").create_secret(Name=f"{path}lp-{repo[-6:]}", SecretString="u:p")
    rule = rules.create(
        repository=repo,
        targets=[
            {"kind": "ecr", "account": "123456789012", "region": "us-east-1", "prefix": "r-"},
            {"kind": "registry", "url": "http://127.0.0.1:9", "credentials": {"ssm": f"/{path}lp"}},
            {
                "kind": "berth",
                "url": "http://127.0.0.1:9",
                "credentials": {"secretsmanager": f"{path}lp-{repo[-6:]}"},
            },
        ],
        actions=["push", "tag_delete", "manifest_delete"],
        allow_http=True,
    )
    try:
        now = datetime.now(UTC)
        changes = [
            Change(
                "e1",
                PUSH,
                repo,
                pushed.digest,
                now,
                "t",
                (TagMove("replicated", None, pushed.digest),),
            ),
            Change(
                "e2",
                DELETE,
                repo,
                pushed.digest,
                now,
                "t",
                (TagMove("replicated", pushed.digest, None),),
            ),
            Change("e3", DELETE, repo, pushed.digest, now, "t"),
        ]
        for message in handler.messages_for(changes):
            handler.attempt(message)
    finally:
        rule.delete()
        rules.forget()
        if stage is None:
            os.environ.pop("BERTH_STAGE")
        else:
            os.environ["BERTH_STAGE"] = stage
        if allowed is None:
            os.environ.pop("BERTH_REPLICATION_ALLOW_NETWORKS")
        else:
            os.environ["BERTH_REPLICATION_ALLOW_NETWORKS"] = allowed


def _deploy_targets(repo: str) -> list[Any]:
    """An ECS service and a Lambda function that a move of `repo:events` redeploys."""
    import boto3

    from chalicelib.events import triggers

    name = repo.replace("/", "-")
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "c", "image": "x", "memory": 128}]
    )
    ecs.create_service(cluster=name, serviceName="web", taskDefinition=name, desiredCount=1)
    uri = boto3.client("ecr").create_repository(repositoryName=name)["repository"]["repositoryUri"]
    role = boto3.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    boto3.client("lambda").create_function(
        FunctionName=name,
        Role=role["Role"]["Arn"],
        PackageType="Image",
        Code={"ImageUri": f"{uri}:old"},
    )
    triggers.forget()
    return [
        triggers.create(repository=repo, tag="events", kind="ecs", cluster=name, service="web"),
        triggers.create(
            repository=repo, tag="events", kind="lambda", function=name, image_repository=uri
        ),
    ]


def _token_signing() -> None:
    """Derive a signing key from an HMAC key, as the token endpoint does, and sign with a key
    from before derivation (chalicelib.auth.derived_keys, chalicelib.auth.tokens)."""
    import boto3

    from berth.infra import TOKEN_KEY_SPEC, TOKEN_KEY_USAGE
    from chalicelib.auth.derived_keys import derive
    from chalicelib.auth.tokens import KmsSigner

    kms = boto3.client("kms")
    root = kms.create_key(KeySpec=TOKEN_KEY_SPEC, KeyUsage=TOKEN_KEY_USAGE)["KeyMetadata"]
    assert derive(boto3.client("kms"), root["KeyId"]).private.public_key()
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    signer = KmsSigner(key["KeyMetadata"]["KeyId"])
    signer.public_key()
    assert signer.sign(b"header.claims")


def _osv_sync() -> None:
    """The OSV sync from an S3 source bucket (chalicelib/scanner/osv_sync.py): its objects
    read, an ecosystem it does not carry looked up (404), the index and its state written."""
    import io
    import zipfile

    import boto3

    from chalicelib.scanner import osv_sync
    from tests.scanning.unique_package import advisory, unique_name

    s3 = boto3.client("s3")
    try:
        s3.create_bucket(Bucket=osv_sync.DEFAULT_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        name = unique_name()
        archive.writestr("a.json", json.dumps(advisory(f"PYSEC-{name}", name, "LOW")))
    s3.put_object(Bucket=osv_sync.DEFAULT_BUCKET, Key="PyPI/all.zip", Body=buffer.getvalue())
    chosen = osv_sync.source(osv_sync.DEFAULT_BUCKET, "s3", ("PyPI", "NoSuchEcosystem"))
    report = osv_sync.sync(chosen, start_rescan=False)  # queueing is the events' SendMessage
    assert report.copied == ["PyPI"] and report.missing == ["NoSuchEcosystem"]


def test_every_granted_action_is_needed(
    client: Any, repo: str, runtime_call_recorder: Recorder, aws: dict[str, str]
) -> None:
    start = len(runtime_call_recorder.calls)
    _every_storage_path(client, repo)
    _events(client, repo, aws)
    _replication(client, repo)
    _token_signing()
    _osv_sync()
    calls = runtime_call_recorder.since(start)
    assert refused(calls, "test") == []
    needed: set[Permission] = set().union(*(call.needs for call in calls))
    unused = []
    # Lambda's event source mappings use them
    pollers = {"TableStream", "DeliveryQueue", "ScanQueue"}
    for statement in policy("test")["Statement"]:
        if statement["Sid"] in pollers:
            assert set(statement["Action"]) <= set(POLL_ACTIONS)
            continue
        (actions, resources), *_ = statements({"Statement": [statement]})
        for action in actions:
            if action in LOG_ACTIONS:  # Lambda's own log delivery: not a call of the code
                continue
            single = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resources}]}
            if not any(p[0] == action and allows(single, p) for p in needed):
                unused.append(f"{action} on {resources}")
    assert unused == [], "granted but never needed (remove from berth/deploy/iam_policy.py)"
