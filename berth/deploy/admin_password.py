"""The deployed stage's first admin, with its password in SSM Parameter Store.

`berth deploy` creates the user `admin` (admin on `*`, berth/first_admin.py) only when the
stage's table has no `admin`, and keeps its generated password in the SecureString parameter
`/berth/<stage>/admin-password`. A re-deploy changes neither: a password is never rotated
behind the operator's back. If the parameter exists but the user does not (a first deploy
that stopped between the two, or a table deleted and made again), the stored password is the
one given to the new `admin`, so the parameter stays the truth.

Why SSM Parameter Store and not Secrets Manager: a standard SecureString costs nothing (Secrets
Manager charges per secret and per 10,000 calls), it is encrypted with the account's
`aws/ssm` KMS key without a key to manage, and only principals allowed `ssm:GetParameter` on
it (and to decrypt with that key) can read it: the operator, not the function, whose policy
(berth/deploy/iam_policy.py) grants no SSM action at all. Rotation is `berth user passwd admin`,
not a Secrets Manager rotation function.

The work runs in a child process (`python -m berth.deploy.admin_password PARAMETER`) because
chalicelib reads its settings (the table) once per process; the child gets the stage's table
and the deploy's profile and region, and prints what it did as one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from berth.deploy.target import AwsTarget
from berth.project_files import APP as ROOT


class AdminError(RuntimeError):
    """The first-admin step failed; the message carries the child's error."""


def parameter_name(stage: str) -> str:
    return f"/berth/{stage}/admin-password"


@dataclass(frozen=True, slots=True)
class AdminSecret:
    parameter: str
    user: str  # "created" or "existing"
    stored: str  # "created", "existing" or "missing" (admin exists, parameter does not)


def read_command(parameter: str, target: AwsTarget) -> str:
    """The AWS CLI command that prints the password."""
    extra = f" --region {target.region}" if target.region else ""
    extra += f" --profile {target.profile}" if target.profile else ""
    return (
        f"aws ssm get-parameter --name {parameter} --with-decryption"
        f" --query Parameter.Value --output text{extra}"
    )


def ensure(stage: str, outputs: dict[str, str], target: AwsTarget) -> AdminSecret:
    """Create the stage's first admin and its parameter if absent; say what was done."""
    inherited = target.environment()
    env = {
        **{k: v for k, v in inherited.items() if not k.startswith("BERTH_")},
        "BERTH_TABLE": outputs["TableName"],
        "BERTH_BUCKET": outputs["BucketName"],
        "BERTH_STAGE": outputs.get("Stage", stage),
    }
    parameter = parameter_name(stage)
    child = subprocess.run(
        [sys.executable, "-m", "berth.deploy.admin_password", parameter, stage],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if child.returncode != 0:
        raise AdminError(f"creating the first admin failed:\n{child.stderr.strip()}")
    done = json.loads(child.stdout.strip().splitlines()[-1])
    return AdminSecret(parameter, done["user"], done["stored"])


def _stored_password(ssm: Any, parameter: str) -> str | None:
    try:
        answer = ssm.get_parameter(Name=parameter, WithDecryption=True)
    except ssm.exceptions.ParameterNotFound:
        return None
    return str(answer["Parameter"]["Value"])


def _store(ssm: Any, parameter: str, password: str, stage: str) -> None:
    ssm.put_parameter(
        Name=parameter,
        Value=password,
        Type="SecureString",
        Overwrite=False,  # never replace a password someone may be using
        Description=f"Berth stage {stage}: password of the first admin (user admin)",
        Tags=[{"Key": "berth:stage", "Value": stage}],
    )


def _child(parameter: str, stage: str) -> dict[str, str]:
    import boto3

    from berth import first_admin

    ssm = boto3.client("ssm")
    if first_admin.exists():
        try:
            ssm.get_parameter(Name=parameter)  # not decrypted: only whether it is there
            stored = "existing"
        except ssm.exceptions.ParameterNotFound:
            stored = "missing"
        return {"user": "existing", "stored": stored}
    password = _stored_password(ssm, parameter)
    stored = "existing"
    if password is None:
        password = first_admin.new_password()
        _store(ssm, parameter, password, stage)  # first, so the password is never lost
        stored = "created"
    first_admin.create(password, created_by="berth deploy")
    return {"user": "created", "stored": stored}


def main(argv: list[str] | None = None) -> int:
    parameter, stage = argv if argv is not None else sys.argv[1:]
    print(json.dumps(_child(parameter, stage)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
