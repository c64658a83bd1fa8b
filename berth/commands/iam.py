"""`berth iam map|unmap|ls`: AWS IAM principals that log in with no stored secret.

`map NAME ARN_PATTERN --grant PATTERN=LEVEL` gives every caller whose ARN matches
ARN_PATTERN (`*` wildcards, e.g. `arn:aws:sts::123456789012:assumed-role/ci-*/*`) the
grants. Such a caller logs in as `aws` with the password `login-password` prints (a
presigned sts:GetCallerIdentity request, valid for minutes; no secret is stored anywhere):

    berth iam login-password | skopeo login -u aws --password-stdin REGISTRY"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json, print_table
from berth.commands.grants import add_grant_option


def register(commands: Any) -> None:
    iam = commands.add_parser("iam", help="map IAM principals to access", description=__doc__)
    actions = iam.add_subparsers(dest="iam_command", required=True, metavar="ACTION")
    mapping = actions.add_parser("map", help="let callers whose ARN matches log in")
    mapping.add_argument("name", metavar="NAME")
    mapping.add_argument("arn_pattern", metavar="ARN_PATTERN")
    mapping.add_argument("--description")
    add_grant_option(mapping)
    add_registry_option(mapping)
    mapping.set_defaults(func=_map)
    unmap = actions.add_parser("unmap", help="remove a mapping and its grants")
    unmap.add_argument("name", metavar="NAME")
    add_registry_option(unmap)
    unmap.set_defaults(func=_unmap)
    ls = actions.add_parser("ls", help="the mappings and their grants")
    add_registry_option(ls)
    ls.set_defaults(func=_ls)
    password = actions.add_parser(
        "login-password", help="print a password for user `aws` from your AWS credentials"
    )
    password.add_argument(
        "--service",
        default=None,
        help="the registry's service name (default: $BERTH_SERVICE, else the one the"
        " registry's challenge names)",
    )
    password.add_argument(
        "--registry", help="registry URL to ask for its service name (default: $BERTH_REGISTRY)"
    )
    password.set_defaults(func=_login_password)


def login_password_for(args: argparse.Namespace, command: str) -> str | int:
    """An IAM login password for the registry of `args` (`--service`, $BERTH_SERVICE, else
    the service its challenge names), or the exit code after saying why there is none."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from berth.iam_login import login_password

    service = args.service or os.environ.get("BERTH_SERVICE")
    if not service:  # the registry says (a password signed for another name is refused)
        try:
            service = common.client_for(args).service()
        except RegistryError as error:
            return common.failed(command, error)
        if not service:
            print(f"berth {command}: the registry names no service", file=sys.stderr)
            return common.EXIT_ERROR
    from botocore.exceptions import NoCredentialsError, NoRegionError

    try:
        return login_password(boto3.client("sts"), service)
    except (NoCredentialsError, NoRegionError) as error:
        # Found trying it as a user: "Unable to locate credentials" alone, on a laptop running
        # berth serve, where any credentials do as long as they are signed for its moto.
        print(f"berth {command}: {error}", file=sys.stderr)
        print(
            f"  (berth {command} signs as your AWS identity: give it credentials and a region "
            "the usual way (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_DEFAULT_REGION); against berth serve any will do, with AWS_ENDPOINT_URL set "
            "to the moto address its start line prints, and your ARN mapped: berth iam map)",
            file=sys.stderr,
        )
        return common.EXIT_ERROR
    except (BotoCoreError, ClientError) as error:
        print(f"berth {command}: {error}", file=sys.stderr)
        return common.EXIT_ERROR


def _login_password(args: argparse.Namespace) -> int:
    password = login_password_for(args, "iam login-password")
    if isinstance(password, int):
        return password
    print(password)
    return 0


def _map(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"name": args.name, "arnPattern": args.arn_pattern}
    body["grants"] = args.grant
    if args.description:
        body["description"] = args.description
    try:
        answer = common.client_for(args).admin("POST", "iam", body)
    except RegistryError as error:
        return common.failed("iam map", error)
    if args.json:
        print_json(answer)
    else:
        print(f"iam:{args.name} maps {args.arn_pattern}")
    return 0


def _unmap(args: argparse.Namespace) -> int:
    try:
        common.client_for(args).admin("DELETE", f"iam/{args.name}")
    except RegistryError as error:
        return common.failed("iam unmap", error)
    print(f"iam:{args.name} removed")
    return 0


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).admin("GET", "iam")
    except RegistryError as error:
        return common.failed("iam ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            m["name"],
            m["arnPattern"] or "-",
            ", ".join(f"{g['pattern']}={g['level']}" for g in m["grants"]) or "-",
        ]
        for m in answer["iam"]
    ]
    print_table(["NAME", "ARN PATTERN", "GRANTS"], rows)
    return 0
