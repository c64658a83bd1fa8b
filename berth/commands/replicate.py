"""`berth replicate add|ls|rm|status|redrive|backfill` (`backfill RULE REPO`; the older
spelling `berth replicate --backfill RULE REPO` still works):
copy images to other registries as they are pushed. A destination is any OCI registry
(`--to URL`, credentials named in SSM or Secrets Manager), another Berth (`--to-berth URL`)
or ECR (`--to-ecr ACCOUNT/REGION`, for Lambda); see docs/replication.md."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments, rule_shape
from berth.commands.common import add_registry_option, print_json, print_table


def register(commands: Any) -> None:
    replicate = commands.add_parser(
        "replicate",
        help="replicate images to other registries and ECR",
        description=__doc__,
    )
    replicate.add_argument(
        "--backfill",
        nargs=2,
        metavar=("RULE", "REPOSITORY"),
        help="the older spelling of `berth replicate backfill RULE REPOSITORY`",
    )
    add_registry_option(replicate)
    replicate.set_defaults(func=_backfill)
    actions = replicate.add_subparsers(dest="replicate_command", metavar="ACTION")
    add = actions.add_parser(
        "add", help="replicate --repository PATTERN (a name, ns/* or *) --to URL"
    )
    add.add_argument(
        "--repository", dest="repository_flag", metavar="PATTERN", help="a name, ns/* or *"
    )
    add.add_argument(
        "repository", metavar="REPOSITORY", nargs="?", help="the older spelling of --repository"
    )
    add.add_argument("--to", action="append", default=[], metavar="URL", help="an OCI registry")
    add.add_argument(
        "--to-berth",
        action="append",
        default=[],
        metavar="URL",
        help="another Berth stage (repeatable)",
    )
    add.add_argument("--to-ecr", action="append", default=[], metavar="ACCOUNT/REGION", help="ECR")
    add.add_argument("--prefix", default="", help="prepended to the repository name there")
    creds = add.add_mutually_exclusive_group()
    creds.add_argument("--ssm", metavar="NAME", help="SecureString holding user:password")
    creds.add_argument("--secret", metavar="ID", help="Secrets Manager secret, the same")
    add.add_argument("--tags", action="append", metavar="GLOB", help="tags to replicate")
    add.add_argument(
        "--exclude-tags",
        action="append",
        default=[],
        metavar="GLOB",
        help="tags not to replicate (repeatable)",
    )
    add.add_argument(
        "--deletes",
        action="store_true",
        help="replicate tag and manifest deletes too (pushes only by default)",
    )
    add.add_argument(
        "--allow-network",
        dest="allow_networks",
        action="append",
        default=[],
        metavar="CIDR",
        help="a private network the --to/--to-berth destinations may reach (repeatable)",
    )
    add.add_argument("--no-referrers", action="store_true", help="do not copy signatures and SBOMs")
    add.set_defaults(func=_add)
    ls = actions.add_parser("ls", help="every replication rule")
    ls.set_defaults(func=_ls)
    rm = actions.add_parser("rm", help="remove a rule")
    rm.add_argument("id", metavar="ID")
    rm.set_defaults(func=_rm)
    status = actions.add_parser("status", help="each image of REPOSITORY at each destination")
    status.add_argument("repository", metavar="REPOSITORY")
    status.set_defaults(func=_status)
    redrive = actions.add_parser("redrive", help="queue REPOSITORY's failed copies again")
    redrive.add_argument("repository", metavar="REPOSITORY")
    redrive.set_defaults(func=_redrive)
    backfill = actions.add_parser(
        "backfill",
        help="queue what REPOSITORY's tags name now, for a rule made after they were pushed",
    )
    backfill.add_argument("rule", metavar="RULE")
    backfill.add_argument("repository", metavar="REPOSITORY")
    backfill.set_defaults(func=_backfill_action)
    for parser in (add, ls, rm, status, redrive, backfill):
        add_registry_option(parser)


def _call(args: argparse.Namespace, method: str, path: str = "", body: Any = None) -> Any:
    return common.client_for(args).replication(method, path, body)


def _credentials(args: argparse.Namespace) -> dict[str, str] | None:
    if args.ssm:
        return {"ssm": args.ssm}
    if args.secret:
        return {"secretsmanager": args.secret}
    return None


def _destinations(args: argparse.Namespace) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = []
    credentials = _credentials(args)
    for kind, urls in (("registry", args.to), ("berth", args.to_berth)):
        for url in urls:
            entry: dict[str, Any] = {"kind": kind, "url": url, "prefix": args.prefix}
            if credentials:
                entry["credentials"] = credentials
            if args.allow_networks:
                entry["allowNetworks"] = args.allow_networks
            found.append(entry)
    for target in args.to_ecr:
        account, _, region = target.partition("/")
        if not region:
            return None
        found.append({"kind": "ecr", "account": account, "region": region, "prefix": args.prefix})
    return found


def _add(args: argparse.Namespace) -> int:
    repository = rule_shape.either(
        "replicate add", args.repository, args.repository_flag, "--repository", "PATTERN"
    )
    if repository is None:
        return 2
    destinations = _destinations(args)
    if not destinations:
        print(
            "berth replicate add: give --to URL, --to-berth URL or --to-ecr ACCOUNT/REGION",
            file=sys.stderr,
        )
        return 2
    body: dict[str, Any] = {
        "repository": repository,
        "destinations": destinations,
        "excludeTags": args.exclude_tags,
        "actions": ["push", "tag_delete", "manifest_delete"] if args.deletes else ["push"],
        "referrers": not args.no_referrers,
    }
    if args.tags:
        body["includeTags"] = args.tags
    try:
        answer = _call(args, "POST", "", body)
    except RegistryError as error:
        return common.failed("replicate add", error)
    if args.json:
        print_json(answer)
    else:
        print(f"replication rule {answer['id']}: {repository} to {_targets(answer)}")
    return 0


def _targets(rule: dict[str, Any]) -> str:
    out = []
    for d in rule["destinations"]:
        where = f"ecr:{d['account']}/{d['region']}" if d["kind"] == "ecr" else d["url"]
        out.append(where + (f" ({d['prefix']}…)" if d.get("prefix") else ""))
    return ", ".join(out)


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "GET")
    except RegistryError as error:
        return common.failed("replicate ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            r["id"],
            r["repository"],
            ",".join(r["includeTags"])
            + ("" if not r["excludeTags"] else " -" + ",".join(r["excludeTags"])),
            ",".join(r["actions"]),
            _targets(r),
        ]
        for r in answer["rules"]
    ]
    print_table(["ID", "REPOSITORY", "TAGS", "ACTIONS", "DESTINATIONS"], rows)
    return 0


def _rm(args: argparse.Namespace) -> int:
    try:
        _call(args, "DELETE", args.id)
    except RegistryError as error:
        return common.failed("replicate rm", error)
    print(f"replication rule {args.id} removed")
    return 0


def _status(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    try:
        answer = _call(args, "GET", f"status?repository={quote(args.repository, safe='')}")
    except RegistryError as error:
        return common.failed("replicate status", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            r["digest"][:19],
            ",".join(r.get("tags") or ([r["tag"]] if r.get("tag") else [])) or "-",
            r["destination"],
            r["state"],
            str(r["attempts"]),
            moments.shown(r["doneAt"]) if r.get("doneAt") else (r.get("error") or "")[:60],
        ]
        for r in answer["replicas"]
    ]
    print_table(["DIGEST", "TAGS", "DESTINATION", "STATE", "ATTEMPTS", "DONE / ERROR"], rows)
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    try:
        answer = _call(args, "POST", f"redrive?repository={quote(args.repository, safe='')}")
    except RegistryError as error:
        return common.failed("replicate redrive", error)
    print(f"{answer['queued']} failed copies of {args.repository} queued again")
    return 0


def _backfill(args: argparse.Namespace) -> int:
    """`berth replicate --backfill RULE REPO`: the spelling before `backfill` was an action."""
    if not args.backfill:
        print(
            "berth replicate: give an ACTION (add, ls, rm, status, redrive, backfill)",
            file=sys.stderr,
        )
        return 2
    rule, repository = args.backfill
    return _queue_backfill(args, rule, repository)


def _backfill_action(args: argparse.Namespace) -> int:
    return _queue_backfill(args, args.rule, args.repository)


def _queue_backfill(args: argparse.Namespace, rule: str, repository: str) -> int:
    try:
        answer = _call(args, "POST", f"{rule}/backfill", {"repository": repository})
    except RegistryError as error:
        return common.failed("replicate backfill", error)
    if args.json:
        print_json(answer)
    else:
        print(f"{answer['queued']} copies of {repository} queued for rule {rule}")
    return 0
