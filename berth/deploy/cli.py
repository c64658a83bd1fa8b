"""`berth deploy` and `berth destroy`: argument parsing only (berth/deploy/run.py, destroy.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

STAGE_HELP = "stage to deploy: names the stack, table, bucket and function (e.g. dev, prod)"


def _session(args: argparse.Namespace, region: str | None = None) -> Any:
    """The AWS session; no region is refused here, before anything is asked of AWS (STS answers
    without one, so the deploy would fail halfway)."""
    import boto3
    from botocore.exceptions import NoRegionError

    session = boto3.session.Session(profile_name=args.profile, region_name=region or args.region)
    if not session.region_name:
        raise NoRegionError()
    return session


EXIT_USAGE = 2
EXIT_NO_CREDENTIALS = 3


Command = Callable[[argparse.Namespace], int]


def _aws_set_up(command: Command) -> Command:
    """`command`, with a missing region, profile or AWS credentials said as the fix (boto
    finds out only on the first call, deep inside the deploy)."""

    def run(args: argparse.Namespace) -> int:
        from botocore.exceptions import (
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
            ProfileNotFound,
        )

        name = f"berth {args.command}"
        try:
            return command(args)
        except NoRegionError:
            print(
                f"{name}: no AWS region: pass --region, set $AWS_REGION, or give the profile "
                "a region (aws configure)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        except ProfileNotFound as error:
            print(f"{name}: {error} (see aws configure list-profiles)", file=sys.stderr)
            return EXIT_USAGE
        except (NoCredentialsError, PartialCredentialsError) as error:
            print(
                f"{name}: {error}: run `aws configure` or `aws sso login`, pass --profile, or "
                "set $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY",
                file=sys.stderr,
            )
            return EXIT_NO_CREDENTIALS

    return run


def _deploy(args: argparse.Namespace) -> int:
    from berth.deploy.chalice_step import CustomDomain, DomainWouldBeDropped, keep_domain
    from berth.deploy.run import deploy

    if bool(args.domain) != bool(args.certificate_arn):
        print("berth deploy: --domain and --certificate-arn go together", file=sys.stderr)
        return 2
    if args.domain and args.front_door == "function-url":
        print(
            "berth deploy: a custom domain maps the REST API; drop --front-door function-url",
            file=sys.stderr,
        )
        return 2
    domain = CustomDomain(args.domain, args.certificate_arn) if args.domain else None
    if args.dry_run:
        from berth.deploy.dry_run import plan

        plan(
            args.stage,
            _session(args),
            front_door=args.front_door or ("api-gateway" if domain else "function-url"),
            alarm_topic=args.alarm_topic,
            event_bus=args.event_bus,
        )
        return 0
    options: dict[str, Any] = {
        "front_door": args.front_door or ("api-gateway" if domain else "function-url"),
        "domain": domain,
        "drop_domain": args.drop_domain,
        "alarm_topic": args.alarm_topic,
        "show_admin_password": args.show_admin_password,
        "event_bus": args.event_bus,
    }
    if args.standby_region and args.promote:
        print("berth deploy: --promote is for the standby's region alone", file=sys.stderr)
        return 2
    try:
        keep_domain(args.stage, domain, args.drop_domain)  # before anything changes
        session = _session(args)
        if args.standby_region:
            from berth.deploy.run import deploy_with_standby

            if args.standby_region == session.region_name:
                print("berth deploy: the standby needs another region", file=sys.stderr)
                return 2
            standby = _session(args, region=args.standby_region)
            deploy_with_standby(args.stage, session, standby, **options)
        elif args.promote:
            deploy(args.stage, session, stack_role="standby", function_role="primary", **options)
        else:
            deploy(args.stage, session, **options)
    except DomainWouldBeDropped as error:
        print(f"berth deploy: {error}", file=sys.stderr)
        return 2
    return 0


def _destroy(args: argparse.Namespace) -> int:
    from berth.deploy.destroy import destroy

    if not args.yes:
        answer = input(f"Delete the function and stack of stage {args.stage}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return 1
    destroy(args.stage, _session(args))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, help=STAGE_HELP)
    parser.add_argument("--profile", default=None, help="AWS profile (default: the usual chain)")
    parser.add_argument("--region", default=None, help="AWS region (default: the profile's)")


def register(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="deploy the registry to AWS (stack, function, front door)",
        description="Create or update the stage's stack from infra/berth.yaml, deploy the "
        "function with its outputs and least-privilege policy, and print the registry URL.",
    )
    _common(deploy)
    deploy.add_argument(
        "--front-door",
        choices=["function-url", "api-gateway"],
        default=None,
        help="function-url (default without --domain): the registry at the root of its own "
        "host; api-gateway: the REST API (needs a custom domain, docs/deploy.md)",
    )
    deploy.add_argument(
        "--domain",
        default=None,
        metavar="NAME",
        help="serve the REST API at https://NAME (root base path mapping); prints the DNS "
        "record to create; pass it on every deploy of the stage",
    )
    deploy.add_argument(
        "--certificate-arn",
        default=None,
        metavar="ARN",
        help="ACM certificate for --domain, in the deploy's region",
    )
    deploy.add_argument(
        "--drop-domain",
        action="store_true",
        help="delete the stage's custom domain (a deploy without --domain otherwise refuses to)",
    )
    deploy.add_argument(
        "--show-admin-password",
        action="store_true",
        help="also print the first admin's password (otherwise only where it is kept)",
    )
    deploy.add_argument("--alarm-topic", default="", help="SNS topic ARN the alarms notify")
    deploy.add_argument(
        "--dry-run",
        action="store_true",
        help="print what the deploy would change (stack change set, function settings, front "
        "door, first admin) and change nothing",
    )
    deploy.add_argument(
        "--event-bus",
        default="default",
        help="the EventBridge bus events go to (docs/automation.md; default: the account's)",
    )
    deploy.add_argument(
        "--standby-region",
        default=None,
        metavar="REGION",
        help="also deploy a read-only standby of the stage in REGION: global-table replica, "
        "S3 replication, a second function (docs/regions.md)",
    )
    deploy.add_argument(
        "--promote",
        action="store_true",
        help="in the standby's region after losing the primary: run its function as the "
        "primary (takes pushes, runs GC and lifecycle; docs/regions.md)",
    )
    deploy.set_defaults(func=_aws_set_up(_deploy))
    destroy = commands.add_parser(
        "destroy",
        help="delete the stage's function and stack (keeps the table, bucket, admin secret)",
        description="Delete the stage's function, API and stack. The table and the bucket are "
        "kept (DeletionPolicy Retain), and so is the admin's password parameter; their names "
        "are printed.",
    )
    _common(destroy)
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.set_defaults(func=_aws_set_up(_destroy))
