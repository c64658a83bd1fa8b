"""What IAM asks of an AWS call: the (action, resource ARN) pairs it is authorised against,
and whether a policy document allows them (Allow statements with `*`/`?` wildcards; the
runtime's policy has no Deny and no NotAction, and a test keeps it so).

Conditions are not evaluated: the token key's alias (kms:ResourceAliases) names a key moto
cannot tell apart, and moto does not enforce the resource tags of deploy targets and ECR
replicas; the test of berth/deploy/iam_policy.py pins their values instead."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

Permission = tuple[str, str]  # ("s3:GetObject", "arn:aws:s3:::bucket/key")
ACCOUNT = "123456789012"  # moto's


def _object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _source(params: dict[str, Any]) -> str:
    source = params["CopySource"]
    if isinstance(source, dict):
        return _object(source["Bucket"], source["Key"])
    return f"arn:aws:s3:::{str(source).split('?')[0].lstrip('/')}"


_S3_OBJECT = {
    "GetObject": ["s3:GetObject"],
    "HeadObject": ["s3:GetObject"],
    "PutObject": ["s3:PutObject"],
    "CreateMultipartUpload": ["s3:PutObject"],
    "UploadPart": ["s3:PutObject"],
    "CompleteMultipartUpload": ["s3:PutObject"],
    "AbortMultipartUpload": ["s3:AbortMultipartUpload"],
    "ListParts": ["s3:ListMultipartUploadParts"],
    "DeleteObject": ["s3:DeleteObject"],
    "UploadPartCopy": ["s3:PutObject"],
    "CopyObject": ["s3:PutObject"],
}
_S3_BUCKET = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
}
_TRANSACT = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def s3_permissions(operation: str, params: dict[str, Any]) -> set[Permission]:
    bucket = params["Bucket"]
    if operation in _S3_BUCKET:
        return {(_S3_BUCKET[operation], f"arn:aws:s3:::{bucket}")}
    if operation == "DeleteObjects":
        keys = [o["Key"] for o in params["Delete"]["Objects"]]
        return {("s3:DeleteObject", _object(bucket, key)) for key in keys}
    actions = _S3_OBJECT.get(operation)
    if actions is None:
        raise LookupError(f"s3:{operation}: add its IAM actions to tests/deploy/permissions.py")
    needed = {(action, _object(bucket, params["Key"])) for action in actions}
    if operation in ("UploadPartCopy", "CopyObject"):
        needed.add(("s3:GetObject", _source(params)))
    if operation in ("GetObject", "HeadObject"):
        # The runtime relies on 404 for a missing key; S3 says 403 without ListBucket.
        needed.add(("s3:ListBucket", f"arn:aws:s3:::{bucket}"))
    return needed


def dynamodb_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    def table(name: str) -> str:
        return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"

    if operation in ("TransactWriteItems", "TransactGetItems"):
        needed = set()
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            needed.add((_TRANSACT[kind], table(body["TableName"])))
        return needed
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return {(f"dynamodb:{operation}", table(name)) for name in params["RequestItems"]}
    if "TableName" not in params:
        raise LookupError(f"dynamodb:{operation}: add its IAM resources to permissions.py")
    return {(f"dynamodb:{operation}", table(params["TableName"]))}


def kms_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    key = str(params["KeyId"])
    if not key.startswith("arn:"):
        # A key id, or an alias that IAM resolves to the key's ARN: key/<something>.
        key = f"arn:aws:kms:{region}:{ACCOUNT}:key/{key.removeprefix('alias/')}"
    return {(f"kms:{operation}", key)}


_SQS = {
    "SendMessage": "sqs:SendMessage",
    "SendMessageBatch": "sqs:SendMessage",
    "ReceiveMessage": "sqs:ReceiveMessage",
    "DeleteMessage": "sqs:DeleteMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "GetQueueAttributes": "sqs:GetQueueAttributes",
}


def sqs_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    """A queue URL `https://sqs.<region>.amazonaws.com/<account>/<name>` is the queue's ARN."""
    account, name = str(params["QueueUrl"]).rstrip("/").split("/")[-2:]
    return {(_SQS[operation], f"arn:aws:sqs:{region}:{account}:{name}")}


def events_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    if operation != "PutEvents":
        raise LookupError(f"events:{operation}: add its IAM resources to permissions.py")
    needed = set()
    for entry in params["Entries"]:
        bus = entry.get("EventBusName") or "default"
        arn = (
            bus if bus.startswith("arn:") else f"arn:aws:events:{region}:{ACCOUNT}:event-bus/{bus}"
        )
        needed.add(("events:PutEvents", arn))
    return needed


def ecs_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    if operation != "UpdateService":
        raise LookupError(f"ecs:{operation}: add its IAM resources to permissions.py")
    cluster = str(params.get("cluster", "default")).rsplit("/", 1)[-1]
    service = str(params["service"]).rsplit("/", 1)[-1]
    return {("ecs:UpdateService", f"arn:aws:ecs:{region}:{ACCOUNT}:service/{cluster}/{service}")}


def lambda_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    if operation != "UpdateFunctionCode":
        raise LookupError(f"lambda:{operation}: add its IAM resources to permissions.py")
    name = str(params["FunctionName"]).rsplit(":", 1)[-1]
    needed = {("lambda:UpdateFunctionCode", f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}")}
    if "ImageUri" in params:  # Lambda reads the image with the caller's rights
        host, _, path = str(params["ImageUri"]).partition("/")
        repository = path.split("@")[0].split(":")[0]
        account, ecr_region = host.split(".")[0], host.split(".")[3]
        arn = f"arn:aws:ecr:{ecr_region}:{account}:repository/{repository}"
        needed |= {("ecr:BatchGetImage", arn), ("ecr:GetDownloadUrlForLayer", arn)}
    return needed


def ecr_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    if "repositoryName" in params:
        names = [str(params["repositoryName"])]
    elif "repositoryNames" in params:
        names = [str(n) for n in params["repositoryNames"]]
    else:
        raise LookupError(f"ecr:{operation}: add its IAM resources to permissions.py")
    account = str(params.get("registryId") or ACCOUNT)
    arns = [f"arn:aws:ecr:{region}:{account}:repository/{n}" for n in names]
    needed = {(f"ecr:{operation}", arn) for arn in arns}
    if operation == "CreateRepository" and params.get("tags"):  # tagging on create
        needed |= {("ecr:TagResource", arn) for arn in arns}
    return needed


def ssm_permissions(operation: str, params: dict[str, Any], region: str) -> set[Permission]:
    name = str(params["Name"]).lstrip("/")
    return {(f"ssm:{operation}", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name}")}


def secretsmanager_permissions(
    operation: str, params: dict[str, Any], region: str
) -> set[Permission]:
    secret = str(params["SecretId"])
    if not secret.startswith("arn:"):
        secret = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret}-AbCdEf"
    return {(f"secretsmanager:{operation}", secret)}


def permissions(
    service: str, operation: str, params: dict[str, Any], region: str
) -> set[Permission]:
    if service == "ecs":
        return ecs_permissions(operation, params, region)
    if service == "lambda":
        return lambda_permissions(operation, params, region)
    if service == "sqs":
        return sqs_permissions(operation, params, region)
    if service == "events":
        return events_permissions(operation, params, region)
    if service == "s3":
        return s3_permissions(operation, params)
    if service == "dynamodb":
        return dynamodb_permissions(operation, params, region)
    if service == "kms":
        return kms_permissions(operation, params, region)
    if service == "api.ecr":
        return ecr_permissions(operation, params, region)
    if service == "ssm":
        return ssm_permissions(operation, params, region)
    if service == "secretsmanager":
        return secretsmanager_permissions(operation, params, region)
    raise LookupError(f"{service}:{operation}: the runtime calls a service its policy ignores")


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def statements(document: dict[str, Any]) -> Iterable[tuple[list[str], list[str]]]:
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow", statement
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement
        yield _listed(statement["Action"]), _listed(statement["Resource"])


def allows(document: dict[str, Any], permission: Permission) -> bool:
    action, resource = permission
    for actions, resources in statements(document):
        if any(fnmatch.fnmatchcase(action, a) for a in actions) and any(
            _arn_match(resource, r) for r in resources
        ):
            return True
    return False


def _arn_match(resource: str, pattern: str) -> bool:
    # IAM wildcards: `*` any run of characters, `?` one character; nothing else is special.
    escaped = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(resource, escaped)
