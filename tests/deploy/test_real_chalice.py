"""`berth deploy` with the real `chalice deploy` subprocess, against a moto server.

Chalice builds the deployment package and calls IAM, Lambda, API Gateway and EventBridge
itself, through `AWS_ENDPOINT_URL`; the stack and the first admin are made as in AWS. What
cannot happen here: invoking the function (moto needs docker for that), so the function's
code runs in a child with the configuration moto holds for it (tests/deploy/deployed_app.py);
and moto's API Gateway only imports Chalice's Swagger 2.0 with berth.motofix's relabelling
(it ignores the document's binary media types, which test_package.py checks instead).

Marked e2e (a real tool against a server; it downloads Lambda's wheels from PyPI), so
`make unit` skips it and `make test` runs it. One test, about a minute: three Chalice runs
(deploy, deploy with a custom domain, delete), one deployment package built (about 25 s of
it, downloading Lambda's wheels) and reused.
"""

from __future__ import annotations

import json
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from berth.deploy.chalice_step import ROOT, CustomDomain, chalice_delete, chalice_deploy
from berth.deploy.destroy import destroy
from berth.deploy.iam_policy import policy, policy_file
from berth.deploy.operator_policy import operator_policy
from berth.deploy.run import deploy, environment
from tests.deploy.deployed_app import login
from tests.deploy.motoserver import ACCOUNT, REGION
from tests.deploy.operator_calls import operator_calls
from tests.deploy.permissions import allows
from tests.deploy.test_deploy import password_in_ssm, token_key_for_moto
from tests.deploy.test_operator_policy import SHIPPED, refused

STAGE = "dev"
DOMAIN = "registry.example.com"


def _role_policies(iam: Any, role_arn: str) -> list[dict[str, Any]]:
    name = role_arn.rsplit("/", 1)[-1]
    return [
        iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]


@pytest.mark.e2e
def test_berth_deploy_runs_the_real_chalice_against_moto(
    session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not the checkout's .chalice/deployed and deployments (test_package.py writes there).
    records, packages = tmp_path / "deployed", tmp_path / "packages"
    chalice = partial(chalice_deploy, records=records, packages=packages)
    said: list[str] = []
    # Every AWS call of the deploys and the destroy, Chalice's included (its child process
    # records them too), is checked against the operator's policy at the end.
    calls: list[dict[str, Any]] = []
    log = tmp_path / "calls.jsonl"
    with operator_calls(log, monkeypatch) as made:
        done = deploy(STAGE, session, chalice=chalice, say=said.append, records=records)
    calls.extend(made)

    # The functions Chalice created: the API handler and the scheduled garbage collector,
    # each with the stack's outputs as its environment and the hand-written policy.
    lam, iam = session.client("lambda"), session.client("iam")
    assert done.function_name == f"berth-{STAGE}"
    handler = lam.get_function_configuration(FunctionName=done.function_name)
    assert handler["Handler"] == "app.app" and handler["CodeSize"] > 1_000_000
    assert (handler["MemorySize"], handler["Timeout"]) == (1024, 60)
    committed = json.loads((ROOT / ".chalice" / "config.json").read_text())
    expected_env = {  # the committed settings, then the stack's outputs
        **committed["environment_variables"],
        **committed["stages"][STAGE]["environment_variables"],
        **environment(done.outputs, STAGE, account=ACCOUNT, region=REGION),
    }
    assert handler["Environment"]["Variables"] == expected_env
    collector = lam.get_function_configuration(FunctionName=f"berth-{STAGE}-collect_garbage")
    assert collector["Environment"]["Variables"] == expected_env
    rendered = policy(STAGE, ACCOUNT, REGION)
    assert _role_policies(iam, handler["Role"]) == [rendered]
    assert _role_policies(iam, collector["Role"]) == [rendered]
    # The committed file is the same policy with account and region left open.
    assert json.loads(policy_file(STAGE).read_text()) == policy(STAGE)
    # SSM only for replication credentials: never the admin password's parameter.
    ssm = [s for s in rendered["Statement"] if "ssm" in json.dumps(s["Action"])]
    assert [s["Sid"] for s in ssm] == ["ReplicationCredentials"]
    admin_parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/berth/{STAGE}/admin-password"
    assert not allows(rendered, ("ssm:GetParameter", admin_parameter))
    rules = session.client("events").list_rules()["Rules"]
    assert [r["ScheduleExpression"] for r in rules if "collect_garbage" in r["Name"]]
    # The event handlers (chalicelib/events/) read the stack's stream and delivery queue.
    sources = {
        m["FunctionArn"].rsplit(":", 1)[-1]: m["EventSourceArn"]
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
    }
    assert sources[f"berth-{STAGE}-publish_events"] == done.outputs["TableStreamArn"]
    assert sources[f"berth-{STAGE}-deliver_webhooks"] == done.outputs["DeliveryQueueArn"]
    assert sources[f"berth-{STAGE}-run_scans"] == done.outputs["ScanQueueArn"]
    scanner = lam.get_function_configuration(FunctionName=f"berth-{STAGE}-run_scans")
    assert (scanner["Timeout"], scanner["MemorySize"]) == (900, 2048)
    deliverer = lam.get_function_configuration(FunctionName=f"berth-{STAGE}-deliver_webhooks")
    assert deliverer["MemorySize"] == 512

    # The front doors: the Function URL berth deploy adds, and Chalice's REST API.
    url = lam.get_function_url_config(FunctionName=done.function_name)
    assert url["AuthType"] == "NONE" and done.registry_url == url["FunctionUrl"].rstrip("/")
    apigateway = session.client("apigateway")
    (api,) = apigateway.get_rest_apis()["items"]
    assert done.rest_api_url == f"https://{api['id']}.execute-api.{REGION}.amazonaws.com/api/"
    paths = {r["path"] for r in apigateway.get_resources(restApiId=api["id"], limit=500)["items"]}
    assert {"/v2", "/token", "/v2/{p1}", "/v2/{p1}/{p2}/{p3}"} <= paths
    assert (records / f"{STAGE}.json").exists()
    # What was uploaded: the runtime and its dependencies, no client tool, under the 50 MB
    # Lambda takes in a direct upload (Chalice does not go through S3).
    (package,) = packages.glob("*.zip")
    assert package.stat().st_size < 50 * 1024 * 1024
    with zipfile.ZipFile(package) as bundle:
        names = bundle.namelist()
    assert {"app.py", "chalicelib/config.py", "chalicelib/awsdata/endpoints.json"} <= set(names)
    assert not [n for n in names if n.startswith(("berth/", "tests/", "chalice/cli/"))]

    # The first admin logs in through the deployed function's code and configuration.
    password = password_in_ssm(session, STAGE)["Value"]
    token_key_for_moto(session, STAGE)
    host = done.registry_url.split("://", 1)[1]
    answer = login(session, done.function_name, password, host)
    assert (answer["token"], answer["wrong"], answer["catalog"]) == (200, 401, 200), answer
    # The calls it made, against the role policy as moto's IAM holds it.
    # The signing key is derived with GenerateMac, which the role allows (issue 16).
    assert "kms:GenerateMac" in answer["calls"] and answer["refused"] == []
    assert "kms:Sign" not in answer["calls"]

    # Again with a custom domain, from another checkout (no .chalice/deployed/, issue 18 §5):
    # the record comes from the stack's bucket, so Chalice updates the same function and API
    # (asserted below: one REST API), and maps the domain at its root, regionally.
    certificate = session.client("acm").request_certificate(DomainName=DOMAIN)["CertificateArn"]
    said.clear()
    records = tmp_path / "second-checkout" / "deployed"
    log.unlink()
    with operator_calls(log, monkeypatch) as made:
        again = deploy(
            STAGE,
            session,
            chalice=partial(chalice_deploy, records=records, packages=packages),
            domain=CustomDomain(DOMAIN, certificate),
            say=said.append,
            records=records,
        )
    calls.extend(made)
    assert any(line.endswith(f"{STAGE}/chalice-deployed.json (fetched)") for line in said), said
    assert [a["id"] for a in apigateway.get_rest_apis()["items"]] == [api["id"]]
    assert again.registry_url == f"https://{DOMAIN}"
    assert (again.admin.user, again.admin.stored) == ("existing", "existing")
    assert password_in_ssm(session, STAGE)["Version"] == 1
    domain = apigateway.get_domain_name(domainName=DOMAIN)
    assert domain["regionalCertificateArn"] == certificate
    assert domain["endpointConfiguration"]["types"] == ["REGIONAL"]
    (mapping,) = apigateway.get_base_path_mappings(domainName=DOMAIN)["items"]
    assert (mapping["basePath"], mapping["restApiId"], mapping["stage"]) == (
        "(none)",
        api["id"],
        "api",
    )
    assert f"  create the DNS record: {DOMAIN}. CNAME {domain['regionalDomainName']}" in said
    answer = login(session, again.function_name, password, DOMAIN, door="rest")
    assert f'realm="https://{DOMAIN}/token"' in answer["realm"]
    assert answer["token"] == 200

    said.clear()
    log.unlink()
    with operator_calls(log, monkeypatch) as made:
        kept = destroy(
            STAGE,
            session,
            chalice=partial(chalice_delete, records=records),
            say=said.append,
            records=records,
        )
    calls.extend(made)
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert not [n for n in names if n.startswith(f"berth-{STAGE}")]
    assert apigateway.get_rest_apis()["items"] == []
    assert kept["AdminPasswordParameter"] == f"/berth/{STAGE}/admin-password"
    assert json.loads((records / f"{STAGE}.json").read_text())["resources"] == []

    # Chalice's own calls were recorded in its child process, and the operator's policy for
    # the stage (and the shipped one, for every stage) allows every call of the sequence.
    names = {f"{c['service']}:{c['operation']}" for c in calls}
    assert {"iam:CreateRole", "lambda:CreateFunction", "apigateway:CreateDomainName"} <= names
    assert refused(operator_policy(STAGE, ACCOUNT, REGION), calls) == []
    assert refused(json.loads(SHIPPED.read_text()), calls) == []
