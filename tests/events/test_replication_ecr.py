"""Replication into ECR on moto, the Lambda story end to end: a push to Berth is copied into
ECR through the queue (blobs by `UploadLayerPart`, the manifest by `PutImage`), and Lambda
then accepts the image with `MOTO_LAMBDA_STUB_ECR=false` (moto checks it exists); with a
deploy-on-push trigger, a tag move points the function at the new digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.api.helpers import assert_ok, push_image, push_index
from tests.events.conftest import Pump

ACCOUNT = "123456789012"
REGION = "us-east-1"


def add_rule(client: Any, **document: Any) -> dict[str, Any]:
    response = client.http.post(
        "/v2/_berth/replication",
        headers={"content-type": "application/json"},
        body=json.dumps(document).encode(),
    )
    assert_ok(response, 201)
    created: dict[str, Any] = json.loads(response.body)
    return created


@pytest.fixture
def rules_cleared(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No rules left behind; loopback destinations allowed, as `berth serve` allows them."""
    from chalicelib.events import triggers
    from chalicelib.replication import rules

    monkeypatch.setenv("BERTH_REPLICATION_ALLOW_NETWORKS", "127.0.0.0/8,::1/128")
    yield
    for item in rules.list_all():
        item.delete()
    rules.forget()
    for trigger in triggers.list_all():
        trigger.delete()
    triggers.forget()


def ecr_name(repo: str) -> str:
    return "berth-" + repo.replace("/", "-")


def status_of(client: Any, repo: str) -> list[dict[str, Any]]:
    response = client.http.get(f"/v2/_berth/replication/status?repository={repo}")
    assert_ok(response, 200)
    replicas: list[dict[str, Any]] = json.loads(response.body)["replicas"]
    return replicas


def lambda_role() -> str:
    iam = boto3.client("iam")
    try:
        return str(iam.get_role(RoleName="berth-test-lambda")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        policy = {"Version": "2012-10-17", "Statement": []}
        created = iam.create_role(
            RoleName="berth-test-lambda", AssumeRolePolicyDocument=json.dumps(policy)
        )
        return str(created["Role"]["Arn"])


def test_a_push_is_replicated_into_ecr_and_lambda_runs_it(
    client: Any, repo: str, pump: Pump, rules_cleared: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = add_rule(
        client,
        repository=repo,
        destinations=[{"kind": "ecr", "account": ACCOUNT, "region": REGION, "prefix": "berth-"}],
        excludeTags=["*-rc"],
    )
    pushed = push_image(client, repo, "prod", layers=3)
    push_image(client, repo, "v2-rc")  # excluded: never reaches ECR
    pump.publish()
    pump.deliver()

    ecr = boto3.client("ecr", region_name=REGION)
    name = ecr_name(repo)
    (image,) = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "prod"}])["images"]
    assert image["imageManifest"].encode() == pushed.body
    assert image["imageId"]["imageDigest"] == pushed.digest
    layers = [d["digest"] for d in [pushed.document["config"], *pushed.document["layers"]]]
    answer = ecr.batch_check_layer_availability(repositoryName=name, layerDigests=layers)
    # ECR computes each layer's digest from the bytes it received: equal digests, equal bytes.
    assert sorted(x["layerDigest"] for x in answer["layers"]) == sorted(layers)
    assert [i["imageTags"] for i in ecr.describe_images(repositoryName=name)["imageDetails"]] == [
        ["prod"]
    ]
    (replica,) = status_of(client, repo)
    assert (replica["state"], replica["attempts"], replica["tag"]) == ("done", 1, "prod")
    assert replica["rule"] == rule["id"] and replica["destination"] == f"ecr:{ACCOUNT}/{REGION}"

    monkeypatch.setenv("MOTO_LAMBDA_STUB_ECR", "false")
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}"
    function = repo.replace("/", "-")
    lam = boto3.client("lambda", region_name=REGION)
    created = lam.create_function(
        FunctionName=function,
        PackageType="Image",
        Code={"ImageUri": f"{uri}:prod"},
        Role=lambda_role(),
    )
    assert created["CodeSha256"] == pushed.digest.removeprefix("sha256:")
    with pytest.raises(lam.exceptions.ClientError, match=r"ImageNotFound|does not exist"):
        lam.create_function(
            FunctionName=function + "-rc",
            PackageType="Image",
            Code={"ImageUri": f"{uri}:v2-rc"},
            Role=lambda_role(),
        )


def test_a_tag_move_replicates_then_redeploys_the_function(
    client: Any, repo: str, pump: Pump, rules_cleared: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_rule(
        client,
        repository=repo,
        destinations=[{"kind": "ecr", "account": ACCOUNT, "region": REGION, "prefix": "berth-"}],
    )
    first = push_image(client, repo, "prod")
    pump.publish()
    pump.deliver()
    monkeypatch.setenv("MOTO_LAMBDA_STUB_ECR", "false")
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{ecr_name(repo)}"
    function = repo.replace("/", "-") + "-deploy"
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(
        FunctionName=function,
        PackageType="Image",
        Code={"ImageUri": f"{uri}@{first.digest}"},
        Role=lambda_role(),
        Tags={"berth-deploy": "test"},
    )
    response = client.http.post(
        "/v2/_berth/triggers",
        headers={"content-type": "application/json"},
        body=json.dumps(
            {
                "repository": repo,
                "tag": "prod",
                "kind": "lambda",
                "function": function,
                "imageRepository": uri,
            }
        ).encode(),
    )
    assert_ok(response, 201)
    second = push_image(client, repo, "prod")
    pump.publish()
    # The redeploy and the copy are queued together: a redeploy that runs first finds no
    # image in ECR, fails, and succeeds on its retry once the copy is done.
    pump.deliver()
    code = lam.get_function(FunctionName=function)["Code"]
    assert code["ImageUri"] == f"{uri}@{second.digest}"


def test_an_index_goes_children_first_with_every_platform(
    client: Any, repo: str, pump: Pump, rules_cleared: None
) -> None:
    add_rule(
        client,
        repository=repo,
        destinations=[{"kind": "ecr", "account": ACCOUNT, "region": REGION}],
    )
    top, kids = push_index(client, repo, "multi")
    pump.publish()
    pump.deliver()
    ecr = boto3.client("ecr", region_name=REGION)
    name = repo.replace("/", "-")
    for manifest in [top, *kids]:
        (image,) = ecr.batch_get_image(
            repositoryName=name, imageIds=[{"imageDigest": manifest.digest}]
        )["images"]
        assert image["imageManifest"].encode() == manifest.body


def test_status_names_every_tag_an_image_was_copied_under(
    client: Any, repo: str, pump: Pump, rules_cleared: None
) -> None:
    """Found trying it as a user: after 1.1 was pushed as the same image as 1.0, replicate
    status showed one row, tag 1.1, and nothing said 1.0 had gone too."""
    add_rule(
        client,
        repository=repo,
        destinations=[{"kind": "ecr", "account": ACCOUNT, "region": REGION, "prefix": "berth-"}],
    )
    pushed = push_image(client, repo, "1.0")
    pump.publish()
    pump.deliver()
    response = client.http.request(
        "PUT",
        f"/v2/{repo}/manifests/1.1",
        headers={"Content-Type": pushed.media_type},
        body=pushed.body,
    )
    assert_ok(response, 201)
    pump.publish()
    pump.deliver()
    (replica,) = status_of(client, repo)
    assert replica["state"] == "done" and replica["tag"] == "1.1"
    assert replica["tags"] == ["1.0", "1.1"]
    ecr = boto3.client("ecr", region_name=REGION)
    (detail,) = ecr.describe_images(repositoryName=ecr_name(repo))["imageDetails"]
    assert sorted(detail["imageTags"]) == ["1.0", "1.1"]
