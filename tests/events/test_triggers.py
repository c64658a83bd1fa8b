"""Deploy on push against moto: a tag move redeploys an ECS service (new deployment) or
points a Lambda function at the image's digest in ECR; other tags and repositories do not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.api.helpers import assert_ok, push_image
from tests.events.conftest import Pump


@pytest.fixture
def update_calls(aws: dict[str, str]) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The ECS and Lambda update calls the runtime makes, with their parameters."""
    import botocore.client

    seen: list[tuple[str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def call(client: Any, name: str, params: dict[str, Any]) -> Any:
        if name in ("UpdateService", "UpdateFunctionCode"):
            seen.append((name, dict(params)))
        return original(client, name, params)

    botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]
    yield seen
    botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def add_trigger(client: Any, **document: Any) -> dict[str, Any]:
    response = client.http.post(
        "/v2/_berth/triggers",
        headers={"content-type": "application/json"},
        body=json.dumps(document).encode(),
    )
    assert_ok(response, 201)
    created: dict[str, Any] = json.loads(response.body)
    return created


@pytest.fixture
def triggers_cleared(aws: dict[str, str]) -> Iterator[None]:
    from chalicelib.events import triggers

    yield
    for item in triggers.list_all():
        item.delete()
    triggers.forget()


def test_a_tag_move_redeploys_an_ecs_service(
    client: Any,
    repo: str,
    pump: Pump,
    update_calls: list[tuple[str, dict[str, Any]]],
    triggers_cleared: None,
) -> None:
    ecs = boto3.client("ecs")
    cluster = repo.replace("/", "-")
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="web",
        containerDefinitions=[{"name": "web", "image": f"registry/{repo}:prod", "memory": 128}],
    )
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        tags=[{"key": "berth-deploy", "value": "test"}],
    )
    trigger = add_trigger(
        client, repository=repo, tag="prod", kind="ecs", cluster=cluster, service="web"
    )
    push_image(client, repo, "staging")  # another tag: nothing
    first = push_image(client, repo, "prod")
    second = push_image(client, repo, "prod")
    rollback = client.http.post(f"/v2/{repo}/_berth/rollback/prod")
    assert_ok(rollback, 200)
    pump.publish()
    pump.deliver()
    assert [name for name, _ in update_calls] == ["UpdateService"] * 3  # push, push, rollback
    assert all(
        p == {"cluster": cluster, "service": "web", "forceNewDeployment": True}
        for _, p in update_calls
    )
    runs = json.loads(client.http.get(f"/v2/_berth/triggers/{trigger['id']}/runs").body)["runs"]
    assert len(runs) == 3 and all(r["ok"] for r in runs)
    assert runs[0]["result"] == f"ECS service {cluster}/web: new deployment"
    assert first.digest != second.digest


def test_a_tag_move_points_a_lambda_function_at_the_digest_in_ecr(
    client: Any,
    repo: str,
    pump: Pump,
    update_calls: list[tuple[str, dict[str, Any]]],
    triggers_cleared: None,
) -> None:
    name = repo.replace("/", "-")
    ecr = boto3.client("ecr")
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    role = boto3.client("iam").create_role(RoleName=f"fn-{name}", AssumeRolePolicyDocument="{}")[
        "Role"
    ]["Arn"]
    lam = boto3.client("lambda")
    lam.create_function(
        FunctionName=name,
        Role=role,
        PackageType="Image",
        Code={"ImageUri": f"{uri}:old"},
        Tags={"berth-deploy": "test"},
    )
    add_trigger(
        client, repository=repo, tag="prod", kind="lambda", function=name, imageRepository=uri
    )
    pushed = push_image(client, repo, "prod")
    # Replication into ECR (the replication feature's job) puts the same digest there.
    ecr.put_image(
        repositoryName=name,
        imageManifest=pushed.body.decode(),
        imageManifestMediaType=pushed.media_type,
        imageDigest=pushed.digest,
    )
    pump.publish()
    pump.deliver()
    assert update_calls == [
        ("UpdateFunctionCode", {"FunctionName": name, "ImageUri": f"{uri}@{pushed.digest}"})
    ]
    code = lam.get_function(FunctionName=name)["Code"]
    assert code["ImageUri"] == f"{uri}@{pushed.digest}"


def test_bad_triggers_are_refused(client: Any, repo: str, triggers_cleared: None) -> None:
    for document in (
        {"repository": repo, "tag": "prod", "kind": "ecs", "cluster": "c"},  # no service
        {"repository": repo, "tag": "prod", "kind": "lambda", "function": "f"},  # no ECR
        {
            "repository": repo,
            "tag": "prod",
            "kind": "lambda",
            "function": "f",
            "imageRepository": "docker.io/library/alpine",
        },
        {"repository": "Not/Valid", "tag": "prod", "kind": "ecs", "cluster": "c", "service": "s"},
        {"repository": repo, "tag": ".bad", "kind": "ecs", "cluster": "c", "service": "s"},
        {"repository": repo, "tag": "prod", "kind": "k8s"},
    ):
        response = client.http.post(
            "/v2/_berth/triggers",
            headers={"content-type": "application/json"},
            body=json.dumps(document).encode(),
        )
        assert response.status_code == 400, document
        assert json.loads(response.body)["errors"][0]["code"] == "UNSUPPORTED"
