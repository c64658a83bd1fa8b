"""`berth trigger add|ls|rm|runs`: deploy on push. When TAG of REPOSITORY moves (a push, a
rollback), redeploy an ECS service (new deployment) or point a Lambda function at the
image's digest in ECR. The target must carry the tag `berth-deploy=<stage>`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import add_registry_option, print_json, print_table


def register(commands: Any) -> None:
    trigger = commands.add_parser(
        "trigger",
        help="deploy on push: redeploy ECS services and Lambda functions",
        description=__doc__,
    )
    actions = trigger.add_subparsers(dest="trigger_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="redeploy a target when REPOSITORY:TAG moves")
    add.add_argument("reference", metavar="REPOSITORY:TAG")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--ecs-service", metavar="CLUSTER/SERVICE", help="an ECS service")
    target.add_argument("--lambda-function", metavar="NAME", help="a Lambda function (image)")
    add.add_argument(
        "--ecr-repository",
        metavar="URI",
        help="with --lambda-function: the ECR repository the image is replicated to",
    )
    add.set_defaults(func=_add)
    ls = actions.add_parser("ls", help="every trigger")
    ls.set_defaults(func=_ls)
    rm = actions.add_parser("rm", help="remove a trigger")
    rm.add_argument("id", metavar="ID")
    rm.set_defaults(func=_rm)
    runs = actions.add_parser("runs", help="the last runs of a trigger, newest first")
    runs.add_argument("id", metavar="ID")
    runs.add_argument("-n", type=int, default=20)
    runs.set_defaults(func=_runs)
    for parser in (add, ls, rm, runs):
        add_registry_option(parser)


def _call(args: argparse.Namespace, method: str, path: str = "", body: Any = None) -> Any:
    return common.client_for(args).triggers(method, path, body)


def _add(args: argparse.Namespace) -> int:
    repository, _, tag = args.reference.rpartition(":")
    if not repository or "/" in tag:
        print("berth trigger add: give REPOSITORY:TAG (team/web:prod)", file=sys.stderr)
        return 2
    body: dict[str, Any] = {"repository": repository, "tag": tag}
    if args.ecs_service:
        cluster, _, service = args.ecs_service.rpartition("/")
        body.update(kind="ecs", cluster=cluster or "default", service=service)
    else:
        body.update(
            kind="lambda", function=args.lambda_function, imageRepository=args.ecr_repository
        )
    try:
        answer = _call(args, "POST", "", body)
    except RegistryError as error:
        return common.failed("trigger add", error)
    if args.json:
        print_json(answer)
    else:
        print(f"trigger {answer['id']}: when {repository}:{tag} moves, redeploy {_target(answer)}")
    return 0


def _target(trigger: dict[str, Any]) -> str:
    if trigger["kind"] == "ecs":
        return f"ECS service {trigger['cluster']}/{trigger['service']}"
    return f"Lambda function {trigger['function']} from {trigger['imageRepository']}"


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "GET")
    except RegistryError as error:
        return common.failed("trigger ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [[t["id"], f"{t['repository']}:{t['tag']}", _target(t)] for t in answer["triggers"]]
    print_table(["ID", "WHEN", "REDEPLOY"], rows)
    return 0


def _rm(args: argparse.Namespace) -> int:
    try:
        _call(args, "DELETE", args.id)
    except RegistryError as error:
        return common.failed("trigger rm", error)
    print(f"trigger {args.id} removed")
    return 0


def _runs(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "GET", f"{args.id}/runs?n={args.n}")
    except RegistryError as error:
        return common.failed("trigger runs", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            moments.shown(r["at"]),
            r["event"],
            str(r["attempt"]),
            "ok" if r["ok"] else "failed",
            (r.get("result") or r.get("error") or "")[:80],
        ]
        for r in answer["runs"]
    ]
    print_table(["AT", "EVENT", "ATTEMPT", "OUTCOME", "DETAIL"], rows)
    return 0
