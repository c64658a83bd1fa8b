"""The Lambda function's IAM policy: exactly the actions the runtime calls, on exactly the
stage's table, bucket and log group.

Chalice's generated policy is off (`autogen_policy: false`): it cannot see calls made
through botocore and pynamodb, and would not scope them. `.chalice/policy-<stage>.json` are
renderings of `policy()` (a test keeps them current); `berth deploy` renders the policy of the
stage it deploys, with the account and region it deploys to. The least-privilege test
(tests/deploy/test_least_privilege.py) proves every action here is needed and enough.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from berth.project_files import CHALICE_DIR

# An account id is twelve digits: `?` matches one character in IAM resource patterns.
ANY_ACCOUNT = "?" * 12

# Scan and BatchWriteItem: garbage collection's mark phase and its markers (chalicelib/gc/).
TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
]
OBJECT_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:PutObject",
]
# Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key, and the runtime
# tells "not there yet" from "failed" by that 404 (chalicelib/storage/blobs.py: stored_size).
# ListBucketMultipartUploads: garbage collection aborts the multipart uploads of expired
# direct-to-S3 sessions (chalicelib/gc/sweep.py). The presigned URLs of those sessions are
# signed by the function's role, so S3 lets them PutObject into `uploads/` as the role may.
BUCKET_ACTIONS = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
# Token signing (chalicelib/auth/tokens.py). IAM authorises KMS calls on the key's ARN, which
# only exists once the key does, so the key is named by its alias in a condition.
# GenerateMac: the current key and the previous one, whose tokens still verify after
# `berth keys rotate`: the signing keys are derived from them (chalicelib/auth/derived_keys.py,
# keyring.py). Sign (the current key only) and GetPublicKey (both) serve keys from before
# derivation (ECC SIGN_VERIFY, KmsSigner) until they are rotated away.
SIGN_ACTIONS = ["kms:Sign"]
VERIFY_ACTIONS = ["kms:GetPublicKey"]
# Managed signing on push (chalicelib/storage/managed_signing.py): keys an admin names in the
# signing policy, allowed only if tagged for this stage (`berth-signing=<stage>`, docs/signing.md).
MANAGED_SIGNING_TAG = "berth-signing"
DERIVE_ACTIONS = ["kms:GenerateMac"]
# What Lambda itself does with the role (the function's own log lines, EMF metrics included).
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
# Events (chalicelib/events/): the stream's consumer publishes to EventBridge and queues
# webhook deliveries; `berth webhook redeliver --dead-letters` drains the dead-letter queue.
EVENT_ACTIONS = ["events:PutEvents"]
QUEUE_SEND_ACTIONS = ["sqs:SendMessage"]
DEAD_LETTER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
# What Lambda's event source mappings do with the role to feed the event handlers: read the
# table's stream, and take messages off the delivery and scan queues. Not calls of the code.
STREAM_POLL_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
QUEUE_POLL_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
]
POLL_ACTIONS = STREAM_POLL_ACTIONS + QUEUE_POLL_ACTIONS
# The OSV sync (chalicelib/scanner/osv_sync.py) reads exports from a source bucket: OSV's own
# is on Google Cloud Storage (read anonymously, no IAM), an S3 mirror needs GetObject on its
# objects and ListBucket (404, not 403, for an ecosystem it does not carry). The mirror's
# name is the sync's BERTH_OSV_SOURCE_BUCKET; `policy(osv_bucket=...)` renders it.
OSV_SOURCE_BUCKET = "osv-vulnerabilities"
OSV_OBJECT_ACTIONS = ["s3:GetObject"]
OSV_BUCKET_ACTIONS = ["s3:ListBucket"]
# Deploy on push (chalicelib/events/triggers.py): only services, functions and ECR
# repositories the operator tagged `berth-deploy=<stage>` can be redeployed by the stage.
DEPLOY_TAG = "berth-deploy"
ECS_DEPLOY_ACTIONS = ["ecs:UpdateService"]
LAMBDA_DEPLOY_ACTIONS = ["lambda:UpdateFunctionCode"]
# Lambda checks that the caller of UpdateFunctionCode may read the image it names.
ECR_READ_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
# Replication into ECR (chalicelib/remote/ecr_push.py): the function creates repositories
# tagged `berth-replica=<stage>` and writes only to repositories carrying that tag; looking
# one up is unconditioned (a repository that does not exist has no tag to match).
REPLICA_TAG = "berth-replica"
ECR_LOOKUP_ACTIONS = ["ecr:DescribeRepositories"]
ECR_CREATE_ACTIONS = ["ecr:CreateRepository", "ecr:TagResource"]
ECR_REPLICA_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchDeleteImage",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
# A destination's credentials: only parameters and secrets under `berth/<stage>/replication/`
# (chalicelib/replication/destinations.py refuses references elsewhere).
SECRET_READ_ACTIONS = ["ssm:GetParameter", "secretsmanager:GetSecretValue"]


def replication_secret_path(stage: str) -> str:
    return f"berth/{stage}/replication/"


# A pull-through cache's upstream credentials: only under `berth/<stage>/cache/`
# (chalicelib/cache/rules.py refuses references elsewhere).
def cache_secret_path(stage: str) -> str:
    return f"berth/{stage}/cache/"


def token_key_alias(stage: str) -> str:
    """The alias of the stage's token-signing key (BERTH_TOKEN_KEY of the deployed function)."""
    return f"alias/berth-{stage}-token"


def previous_token_key_alias(stage: str) -> str:
    """The alias of the key before it (`berth keys rotate`; chalicelib/auth/auth_settings.py)."""
    return f"{token_key_alias(stage)}-previous"


def function_name(stage: str) -> str:
    """Chalice names the API handler `<app>-<stage>`."""
    return f"berth-{stage}"


def table_arn(stage: str, account: str = "*", region: str = "*") -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/berth-{stage}-meta"


def bucket_arn(stage: str, account: str = ANY_ACCOUNT, region: str = "*") -> str:
    """The bucket is `berth-<stage>-<account>-<region>` (infra/berth.yaml)."""
    return f"arn:aws:s3:::berth-{stage}-{account}-{region}"


def queue_arn(
    stage: str, suffix: str, account: str = "*", region: str = "*", kind: str = "webhooks"
) -> str:
    """The webhook queues are `berth-<stage>-webhooks` and `-webhooks-dead`, the scan queues
    `berth-<stage>-scans` and `-scans-dead` (infra/berth.yaml)."""
    return f"arn:aws:sqs:{region}:{account}:berth-{stage}-{kind}{suffix}"


def policy(
    stage: str,
    account: str | None = None,
    region: str | None = None,
    bus: str = "default",
    osv_bucket: str = OSV_SOURCE_BUCKET,
) -> dict[str, Any]:
    """The policy document for `stage`; wildcards where account or region are not given."""
    acct = account or "*"
    reg = region or "*"
    delivery = queue_arn(stage, "", acct, reg)
    dead = queue_arn(stage, "-dead", acct, reg)
    scans = queue_arn(stage, "", acct, reg, "scans")
    scans_dead = queue_arn(stage, "-dead", acct, reg, "scans")
    bucket = bucket_arn(stage, account or ANY_ACCOUNT, reg)
    logs = f"arn:aws:logs:{reg}:{acct}:log-group:/aws/lambda/{function_name(stage)}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": LOG_ACTIONS,
                "Resource": [logs, f"{logs}:*"],
            },
            {
                "Sid": "MetadataTable",
                "Effect": "Allow",
                "Action": TABLE_ACTIONS,
                "Resource": table_arn(stage, acct, reg),
            },
            {
                "Sid": "BlobObjects",
                "Effect": "Allow",
                "Action": OBJECT_ACTIONS,
                "Resource": f"{bucket}/*",
            },
            {"Sid": "BlobBucket", "Effect": "Allow", "Action": BUCKET_ACTIONS, "Resource": bucket},
            {
                "Sid": "OsvSourceObjects",
                "Effect": "Allow",
                "Action": OSV_OBJECT_ACTIONS,
                "Resource": f"arn:aws:s3:::{osv_bucket}/*",
            },
            {
                "Sid": "OsvSourceBucket",
                "Effect": "Allow",
                "Action": OSV_BUCKET_ACTIONS,
                "Resource": f"arn:aws:s3:::{osv_bucket}",
            },
            {
                "Sid": "Events",
                "Effect": "Allow",
                "Action": EVENT_ACTIONS,
                "Resource": f"arn:aws:events:{reg}:{acct}:event-bus/{bus}",
            },
            {
                "Sid": "WebhookQueues",
                "Effect": "Allow",
                "Action": QUEUE_SEND_ACTIONS,
                "Resource": [delivery, dead],
            },
            {
                # Scans on push, on demand and a rescan's pages are queued, retried and
                # dead-lettered on the scan queues (chalicelib/scanner/scan_queue.py).
                "Sid": "ScanQueues",
                "Effect": "Allow",
                "Action": QUEUE_SEND_ACTIONS,
                "Resource": [scans, scans_dead],
            },
            {
                "Sid": "DeadLetters",
                "Effect": "Allow",
                "Action": DEAD_LETTER_ACTIONS,
                "Resource": dead,
            },
            {
                "Sid": "TableStream",
                "Effect": "Allow",
                "Action": STREAM_POLL_ACTIONS,
                "Resource": f"{table_arn(stage, acct, reg)}/stream/*",
            },
            {
                "Sid": "DeliveryQueue",
                "Effect": "Allow",
                "Action": QUEUE_POLL_ACTIONS,
                "Resource": delivery,
            },
            {
                "Sid": "ScanQueue",
                "Effect": "Allow",
                "Action": QUEUE_POLL_ACTIONS,
                "Resource": scans,
            },
            {
                "Sid": "DeployEcsServices",
                "Effect": "Allow",
                "Action": ECS_DEPLOY_ACTIONS,
                "Resource": f"arn:aws:ecs:{reg}:{acct}:service/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{DEPLOY_TAG}": stage}},
            },
            {
                "Sid": "DeployLambdaFunctions",
                "Effect": "Allow",
                "Action": LAMBDA_DEPLOY_ACTIONS,
                "Resource": f"arn:aws:lambda:{reg}:{acct}:function:*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{DEPLOY_TAG}": stage}},
            },
            {
                "Sid": "DeployLambdaImages",
                "Effect": "Allow",
                "Action": ECR_READ_ACTIONS,
                "Resource": f"arn:aws:ecr:{reg}:{acct}:repository/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{DEPLOY_TAG}": stage}},
            },
            {
                "Sid": "LookUpEcrReplicas",
                "Effect": "Allow",
                "Action": ECR_LOOKUP_ACTIONS,
                "Resource": f"arn:aws:ecr:*:{acct}:repository/*",
            },
            {
                "Sid": "CreateEcrReplicas",
                "Effect": "Allow",
                "Action": ECR_CREATE_ACTIONS,
                "Resource": f"arn:aws:ecr:*:{acct}:repository/*",
                "Condition": {"StringEquals": {f"aws:RequestTag/{REPLICA_TAG}": stage}},
            },
            {
                "Sid": "WriteEcrReplicas",
                "Effect": "Allow",
                "Action": ECR_REPLICA_ACTIONS,
                "Resource": f"arn:aws:ecr:*:{acct}:repository/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{REPLICA_TAG}": stage}},
            },
            {
                "Sid": "ReplicationCredentials",
                "Effect": "Allow",
                "Action": SECRET_READ_ACTIONS,
                "Resource": [
                    f"arn:aws:ssm:{reg}:{acct}:parameter/{replication_secret_path(stage)}*",
                    f"arn:aws:secretsmanager:{reg}:{acct}:secret:{replication_secret_path(stage)}*",
                    # The same reads for pull-through cache upstreams (chalicelib/cache/).
                    f"arn:aws:ssm:{reg}:{acct}:parameter/{cache_secret_path(stage)}*",
                    f"arn:aws:secretsmanager:{reg}:{acct}:secret:{cache_secret_path(stage)}*",
                ],
            },
            {
                "Sid": "TokenSigningKey",
                "Effect": "Allow",
                "Action": SIGN_ACTIONS,
                "Resource": f"arn:aws:kms:{reg}:{acct}:key/*",
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": token_key_alias(stage)}
                },
            },
            {
                "Sid": "ManagedSigningKeys",
                "Effect": "Allow",
                "Action": [*VERIFY_ACTIONS, *SIGN_ACTIONS],
                "Resource": f"arn:aws:kms:{reg}:{acct}:key/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_SIGNING_TAG}": stage}},
            },
            {
                "Sid": "TokenDerivingKeys",
                "Effect": "Allow",
                "Action": DERIVE_ACTIONS,
                "Resource": f"arn:aws:kms:{reg}:{acct}:key/*",
                "Condition": {
                    "ForAnyValue:StringEquals": {
                        "kms:ResourceAliases": [
                            token_key_alias(stage),
                            previous_token_key_alias(stage),
                        ]
                    }
                },
            },
            {
                "Sid": "TokenVerifyingKeys",
                "Effect": "Allow",
                "Action": VERIFY_ACTIONS,
                "Resource": f"arn:aws:kms:{reg}:{acct}:key/*",
                "Condition": {
                    "ForAnyValue:StringEquals": {
                        "kms:ResourceAliases": [
                            token_key_alias(stage),
                            previous_token_key_alias(stage),
                        ]
                    }
                },
            },
        ],
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def policy_file(stage: str) -> Path:
    return CHALICE_DIR / f"policy-{stage}.json"


def main(argv: list[str] | None = None) -> int:
    """Write `.chalice/policy-<stage>.json` for each stage named (dev and prod by default)."""
    for stage in (argv if argv is not None else sys.argv[1:]) or ["dev", "prod"]:
        policy_file(stage).write_text(render(policy(stage)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
