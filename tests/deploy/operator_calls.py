"""Record the AWS calls a deploy rehearsal makes as its operator, and the IAM actions each
needs, to check them against the operator policy (berth/deploy/operator_policy.py).

In this process a call counts when code of berth/ made it rather than the test (the stand-in
for Chalice and the assertions are the test's); in the children `berth deploy` starts
(`chalice`, the first-admin step) every call counts: `aws_call_hook/sitecustomize.py`, on
their PYTHONPATH, installs the same hook there and appends to a shared file.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.client

if TYPE_CHECKING:  # the children load this module without pytest
    import pytest

ROOT = Path(__file__).resolve().parents[2]
BERTH = str(ROOT / "berth")
TESTS = str(ROOT / "tests")
HOOK_DIR = Path(__file__).resolve().parent / "aws_call_hook"

# botocore's endpoint prefix where IAM's service prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch"}
# Calls IAM never authorises (AWS answers them for any principal).
UNAUTHORISED = {"sts:GetCallerIdentity"}
_TRANSACT = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
# Tagging at creation is authorised as tagging too, by these actions.
_TAGGING = {
    "iam": "iam:TagRole",
    "ssm": "ssm:AddTagsToResource",
    "sqs": "sqs:TagQueue",
}
_S3 = {
    "HeadObject": "s3:GetObject",
    "HeadBucket": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
}


def describe(client: Any, operation_model: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One call as a JSON-able record."""
    prefix = client.meta.service_model.endpoint_prefix
    kinds: list[str] = []
    if operation_model.name in ("TransactWriteItems", "TransactGetItems"):
        kinds = sorted({kind for item in params.get("TransactItems", []) for kind in item})
    return {
        "service": IAM_PREFIX.get(prefix, prefix),
        "operation": operation_model.name,
        "method": operation_model.http.get("method", ""),
        "kinds": kinds,
        "role": "Role" in params,
        "tags": bool(params.get("Tags")),
    }


def actions(call: dict[str, Any]) -> set[str]:
    """The IAM actions `call` is authorised against."""
    service, operation = call["service"], call["operation"]
    if service == "apigateway":
        return {f"apigateway:{call['method']}"}  # API Gateway's actions are its HTTP verbs
    if call["kinds"]:
        return {_TRANSACT[kind] for kind in call["kinds"]}
    if service == "s3" and operation in _S3:
        return {_S3[operation]}
    needed = {f"{service}:{operation}"}
    if service == "lambda" and call["role"]:
        needed.add("iam:PassRole")  # a function's execution role is passed to Lambda
    if call.get("tags"):
        needed.add(_TAGGING.get(service, f"{service}:TagResource"))
    return needed - UNAUTHORISED


def _hook(
    decide: Callable[[], bool], write: Callable[[dict[str, Any]], None]
) -> Callable[[], None]:
    original = botocore.client.BaseClient._emit_api_params

    def emit(self: Any, api_params: Any, operation_model: Any, context: Any) -> Any:
        params = original(self, api_params, operation_model, context)
        if decide():
            write(describe(self, operation_model, dict(params)))
        return params

    botocore.client.BaseClient._emit_api_params = emit  # type: ignore[method-assign]

    def undo() -> None:
        botocore.client.BaseClient._emit_api_params = original  # type: ignore[method-assign]

    return undo


def install_child_hook(path: str) -> None:
    def write(call: dict[str, Any]) -> None:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(call) + "\n")

    _hook(lambda: True, write)


def _made_by_berth() -> bool:
    """The innermost frame of berth/ or tests/ decides: the operator's code, or the test's."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(TESTS):
            return False
        if name.startswith(BERTH):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


@contextmanager
def operator_calls(log: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Within: every call of berth's code here and of its children is recorded; yields the
    calls (filled in when the block ends)."""
    calls: list[dict[str, Any]] = []
    log.touch()
    undo = _hook(_made_by_berth, calls.append)
    with monkeypatch.context() as env:
        env.setenv("TEST_AWS_CALL_LOG", str(log))
        path = [str(HOOK_DIR), str(ROOT), os.environ.get("PYTHONPATH", "")]
        env.setenv("PYTHONPATH", os.pathsep.join(p for p in path if p))
        try:
            yield calls
        finally:
            undo()
            calls.extend(json.loads(line) for line in log.read_text().splitlines())


def allowed(document: dict[str, Any], action: str) -> bool:
    """Some Allow statement of `document` names `action` (exactly or by a `*` pattern)."""
    import fnmatch

    for statement in document["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        listed = statement["Action"]
        for pattern in [listed] if isinstance(listed, str) else listed:
            if fnmatch.fnmatchcase(action.lower(), pattern.lower()):
                return True
    return False
