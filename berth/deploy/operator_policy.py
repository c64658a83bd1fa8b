"""The IAM policy of whoever runs `berth deploy`, `--dry-run` and `berth destroy` (a person or
a CI role): least privilege for the calls they make, and no more.

Three kinds of permission, one statement group each:

- the calls `berth deploy` makes itself (the stack, the first admin, the deployment record,
  the Function URL, the log settings, the rotated keys `destroy` retires);
- the calls `chalice deploy`/`chalice delete` make (IAM roles for the functions, with
  `iam:PassRole` to Lambda only; the functions, their event sources, the schedule, the REST
  API and its custom domain);
- the calls CloudFormation makes with the caller's credentials while it builds the
  resources of infra/berth.yaml (no service role is passed): `TEMPLATE_ACTIONS` per resource
  type, which a test keeps in step with the template.

Names are scoped to the stage where AWS allows it (`berth-<stage>*`; the stage is `*` in the
shipped `infra/operator-policy.json`, which covers every stage). A few actions have no
resource to scope by: `kms:CreateKey`/`ListKeys`, `cloudformation:GetTemplateSummary` of a
template body, event source mappings (random ids), and API Gateway's REST APIs and domains
(random ids; API Gateway's actions are its HTTP verbs). tests/deploy/test_operator_policy.py
records every AWS call the deploy rehearsals make (in process, and in the Chalice and
first-admin child processes) and checks that this policy allows each one.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from berth.deploy.admin_password import parameter_name
from berth.deploy.state import state_key

# What CloudFormation does as the caller for each resource type of infra/berth.yaml
# (create, update, read and delete; the table and the bucket are retained, never deleted).
TEMPLATE_ACTIONS: dict[str, list[str]] = {
    "AWS::DynamoDB::Table": [
        "dynamodb:CreateTable",
        "dynamodb:UpdateTable",
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:UpdateContinuousBackups",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:UpdateTimeToLive",
        "dynamodb:DescribeContributorInsights",
        "dynamodb:DescribeKinesisStreamingDestination",
        "dynamodb:ListTagsOfResource",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
    ],
    "AWS::S3::Bucket": [
        "s3:CreateBucket",
        "s3:GetBucketLocation",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketVersioning",
        "s3:PutBucketVersioning",
        "s3:GetBucketCORS",
        "s3:PutBucketCORS",
        # two regions (docs/regions.md): the primary's bucket replicates to the standby's
        "s3:GetReplicationConfiguration",
        "s3:PutReplicationConfiguration",
    ],
    # The primary's S3 replication role (two regions); named berth-<stage>-ReplicationRole-*.
    "AWS::IAM::Role": [
        "iam:CreateRole",
        "iam:GetRole",
        "iam:DeleteRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePolicy",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
    ],
    "AWS::S3::BucketPolicy": [
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
    ],
    "AWS::SQS::Queue": [
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:SetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ListQueueTags",
        "sqs:TagQueue",
        "sqs:UntagQueue",
    ],
    "AWS::CloudWatch::Alarm": [
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:ListTagsForResource",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
    ],
    "AWS::KMS::Key": [
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:PutKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:UpdateKeyDescription",
        "kms:ListResourceTags",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
    ],
    "AWS::KMS::Alias": ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
}

STACK_ACTIONS = [
    "cloudformation:DescribeStacks",
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeStackEvents",
    "cloudformation:TagResource",  # the stack's berth:stage tag, given at creation
    # --dry-run: a change set, described, then deleted (never executed)
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DeleteChangeSet",
]
FUNCTION_ACTIONS = [
    "lambda:CreateFunction",
    "lambda:DeleteFunction",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:GetPolicy",
    "lambda:ListTags",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
    "lambda:CreateFunctionUrlConfig",
    "lambda:GetFunctionUrlConfig",
    "lambda:DeleteFunctionUrlConfig",
]
EVENT_SOURCE_ACTIONS = [
    "lambda:CreateEventSourceMapping",
    "lambda:GetEventSourceMapping",
    "lambda:UpdateEventSourceMapping",
    "lambda:DeleteEventSourceMapping",
    "lambda:ListEventSourceMappings",
]
ROLE_ACTIONS = [
    "iam:GetRole",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:GetRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:TagRole",
]
SCHEDULE_ACTIONS = [
    "events:PutRule",
    "events:DescribeRule",
    "events:DeleteRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:ListTargetsByRule",
    "events:ListTagsForResource",
    "events:TagResource",
]
# API Gateway authorises its REST calls by HTTP verb on the path (AWS's design, not ours).
API_GATEWAY_ACTIONS = [
    "apigateway:GET",
    "apigateway:POST",
    "apigateway:PUT",
    "apigateway:PATCH",
    "apigateway:DELETE",
]
FIRST_ADMIN_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]
RETIRE_KEY_ACTIONS = ["kms:ListResourceTags", "kms:DescribeKey", "kms:ScheduleKeyDeletion"]
# `berth deploy --standby-region` (berth/deploy/regions.py): the table's global-table replica.
# DynamoDB creates the replica with the caller's permissions in the standby's region, and
# its replication service-linked role once per account.
DYNAMODB_REPLICATION = "replication.dynamodb.amazonaws.com"
REPLICA_ACTIONS = [
    "dynamodb:CreateTableReplica",
    "dynamodb:DeleteTableReplica",
    "dynamodb:CreateTable",
    "dynamodb:DescribeTable",
    "dynamodb:UpdateTable",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
]


def _sorted(actions: list[str]) -> list[str]:
    return sorted(set(actions))


def operator_policy(
    stage: str = "*", account: str | None = None, region: str | None = None
) -> dict[str, Any]:
    """The operator's policy for `stage` (`*`: every stage); wildcards where account or region
    are not given."""
    acct, reg = account or "*", region or "*"
    name = f"berth-{stage}"
    table = f"arn:aws:dynamodb:{reg}:{acct}:table/{name}-meta"
    bucket = f"arn:aws:s3:::{name}-{acct}-{reg}" if stage != "*" else "arn:aws:s3:::berth-*"
    parameter = parameter_name(stage)
    template: list[str] = []
    for actions in TEMPLATE_ACTIONS.values():
        template.extend(actions)

    def only(prefix: str) -> list[str]:
        return _sorted([a for a in template if a.startswith(prefix)])

    statements: list[dict[str, Any]] = [
        {
            "Sid": "Stack",
            "Effect": "Allow",
            "Action": STACK_ACTIONS,
            "Resource": f"arn:aws:cloudformation:{reg}:{acct}:stack/{name}/*",
        },
        {
            # A template body is summarised (--dry-run of a new stack) before any stack exists.
            "Sid": "TemplateSummary",
            "Effect": "Allow",
            "Action": ["cloudformation:GetTemplateSummary"],
            "Resource": "*",
        },
        {
            "Sid": "StackTable",
            "Effect": "Allow",
            "Action": _sorted(only("dynamodb:") + FIRST_ADMIN_ACTIONS),
            "Resource": [table, f"{table}/stream/*", f"{table}/index/*"],
        },
        {
            "Sid": "StackBucket",
            "Effect": "Allow",
            # ListBucket: a missing deployment record is 404 (not 403) to the deploy.
            "Action": _sorted([*only("s3:"), "s3:ListBucket"]),
            "Resource": bucket,
        },
        {
            "Sid": "DeploymentRecord",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"{bucket}/{state_key(stage)}",
        },
        {
            "Sid": "StackQueues",
            "Effect": "Allow",
            "Action": only("sqs:"),
            "Resource": f"arn:aws:sqs:{reg}:{acct}:{name}-webhooks*",
        },
        {
            "Sid": "StackAlarms",
            "Effect": "Allow",
            "Action": only("cloudwatch:"),
            "Resource": f"arn:aws:cloudwatch:{reg}:{acct}:alarm:{name}-*",
        },
        {
            # Key ids are random: the stack's token key, and the keys `berth keys rotate`
            # made, which `berth destroy` schedules for deletion (tagged berth:stage).
            "Sid": "TokenKeys",
            "Effect": "Allow",
            "Action": _sorted([*only("kms:"), *RETIRE_KEY_ACTIONS]),
            "Resource": f"arn:aws:kms:{reg}:{acct}:key/*",
        },
        {
            "Sid": "TokenKeyAliases",
            "Effect": "Allow",
            "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": f"arn:aws:kms:{reg}:{acct}:alias/{name}-*",
        },
        {
            "Sid": "CreateAndListKeys",
            "Effect": "Allow",
            "Action": ["kms:CreateKey", "kms:ListKeys", "kms:ListAliases"],
            "Resource": "*",
        },
        {
            # The first admin's password (SecureString under the account's aws/ssm key).
            "Sid": "AdminPassword",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:PutParameter", "ssm:AddTagsToResource"],
            "Resource": f"arn:aws:ssm:{reg}:{acct}:parameter{parameter}",
        },
        {
            "Sid": "Functions",
            "Effect": "Allow",
            "Action": FUNCTION_ACTIONS,
            "Resource": f"arn:aws:lambda:{reg}:{acct}:function:{name}*",
        },
        {
            "Sid": "EventSources",
            "Effect": "Allow",
            "Action": EVENT_SOURCE_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "TableReplica",
            "Effect": "Allow",
            "Action": _sorted(REPLICA_ACTIONS),
            # any region: the standby's is named on the command line
            "Resource": [
                f"arn:aws:dynamodb:*:{acct}:table/{name}-meta",
                f"arn:aws:dynamodb:*:{acct}:table/{name}-meta/stream/*",
            ],
        },
        {
            "Sid": "ReplicationServiceRole",
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": f"arn:aws:iam::{acct}:role/aws-service-role/{DYNAMODB_REPLICATION}/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": DYNAMODB_REPLICATION}},
        },
        {
            "Sid": "FunctionRoles",
            "Effect": "Allow",
            "Action": _sorted([*ROLE_ACTIONS, *only("iam:")]),
            "Resource": f"arn:aws:iam::{acct}:role/{name}*",
        },
        {
            "Sid": "PassFunctionRoles",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": f"arn:aws:iam::{acct}:role/{name}*",
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        },
        {
            # The primary's S3 replication role (two regions), to S3 only.
            "Sid": "PassReplicationRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": f"arn:aws:iam::{acct}:role/{name}-ReplicationRole-*",
            "Condition": {"StringEquals": {"iam:PassedToService": "s3.amazonaws.com"}},
        },
        {
            "Sid": "Schedule",
            "Effect": "Allow",
            "Action": SCHEDULE_ACTIONS,
            "Resource": f"arn:aws:events:{reg}:{acct}:rule/{name}-*",
        },
        {
            "Sid": "RestApiAndDomain",
            "Effect": "Allow",
            "Action": API_GATEWAY_ACTIONS,
            "Resource": [
                f"arn:aws:apigateway:{reg}::/restapis",
                f"arn:aws:apigateway:{reg}::/restapis/*",
                f"arn:aws:apigateway:{reg}::/domainnames",
                f"arn:aws:apigateway:{reg}::/domainnames/*",
                f"arn:aws:apigateway:{reg}::/apis/*",
                f"arn:aws:apigateway:{reg}::/tags/*",
            ],
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


if __name__ == "__main__":  # python -m berth.deploy.operator_policy > infra/operator-policy.json
    sys.stdout.write(render(operator_policy()))
