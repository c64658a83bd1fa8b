"""Run the deployed function's code in a child process with the configuration moto's Lambda
holds for it, and log in through it.

moto cannot invoke a Lambda function without docker, so this is the next best thing: the
app of this checkout, with exactly the environment variables `berth deploy` gave the deployed
function (read back from moto's Lambda), pointed at the moto server. A child process because
chalicelib reads its settings once; `python -m tests.deploy.deployed_app` reads the password
and the Host on stdin and prints what the registry answered as one JSON line.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]


def login(
    session: Any,
    function_name: str,
    password: str,
    host: str,
    door: str = "url",
    policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """GET /token as `admin` (and with a wrong password) through the deployed function, its
    events shaped as `door` (tests/deploy/doors.py) sends them for `host`. The answer's
    `calls` are the AWS calls the code made, `refused` those `policy` (by default the
    function's role policy as moto's IAM holds it) would not allow."""
    if policy is None:
        policy = role_policy(session, function_name)
    lam = session.client("lambda")
    variables = lam.get_function_configuration(FunctionName=function_name)["Environment"][
        "Variables"
    ]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BERTH_")},  # tests' own
        **variables,
        "AWS_DATA_PATH": str(ROOT / "chalicelib" / "awsdata"),  # /var/task/… in Lambda
        "AWS_DEFAULT_REGION": session.region_name,
        "AWS_REGION": session.region_name,
    }
    child = subprocess.run(
        [sys.executable, "-m", "tests.deploy.deployed_app"],
        cwd=ROOT,
        env=env,
        input=json.dumps({"password": password, "host": host, "door": door, "policy": policy}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    answer: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return answer


def role_policy(session: Any, function_name: str) -> dict[str, Any]:
    """The one inline policy of the function's role."""
    iam = session.client("iam")
    role = session.client("lambda").get_function_configuration(FunctionName=function_name)
    name = role["Role"].rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=name)["PolicyNames"]
    document: dict[str, Any] = iam.get_role_policy(RoleName=name, PolicyName=policy_name)[
        "PolicyDocument"
    ]
    return document


def _refused(calls: list[Any], policy: dict[str, Any]) -> list[str]:
    from tests.deploy.permissions import allows

    problems = [f"{c.name}: {c.problem}" for c in calls if c.problem]
    for call in calls:
        problems += [f"{call.name} needs {p}" for p in sorted(call.needs) if not allows(policy, p)]
    return sorted(set(problems))


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()


def main() -> int:
    from app import app
    from tests.deploy.doors import DOORS
    from tests.deploy.recorder import Recorder, install

    asked = json.loads(sys.stdin.read())
    recorder = Recorder()
    install(recorder)
    send = DOORS[asked["door"]]
    host: tuple[tuple[str, str], ...] = (("Host", asked["host"]),)
    if asked["door"] == "rest":
        host += (("X-Forwarded-Proto", "https"),)  # API Gateway's, in front of every request
    challenge = send(app, "GET", "/v2/", headers=host)
    # The service the challenge names, as clients do (each deployed stage has its own).
    challenged = challenge.header("WWW-Authenticate") or ""
    service = challenged.split('service="', 1)[-1].split('"', 1)[0]
    scope = f"service={quote(service)}&scope=registry:catalog:*"
    admin = ("Authorization", _basic(asked["password"]))
    token = send(app, "GET", "/token", query=scope, headers=(*host, admin))
    wrong = send(app, "GET", "/token", query=scope, headers=(*host, ("Authorization", _basic("x"))))
    catalog_status = None
    if token.status == 200:
        bearer = ("Authorization", f"Bearer {json.loads(token.body)['token']}")
        catalog_status = send(app, "GET", "/v2/_catalog", headers=(*host, bearer)).status
    print(
        json.dumps(
            {
                "challenge": challenge.status,
                "realm": challenge.header("WWW-Authenticate"),
                "token": token.status,
                "token_body": token.body.decode()[:300] if token.status != 200 else "",
                "wrong": wrong.status,
                "catalog": catalog_status,
                "calls": sorted({c.name for c in recorder.calls}),
                "refused": _refused(recorder.calls, asked["policy"]),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
