"""`berth grant add|rm|ls` (and `berth ungrant`): who may do what on which repositories.

A principal is `alice` or `user:alice`, `robot$ci` or `robot:ci`, `iam:ci-role` (an IAM
mapping); a pattern is a repository, `team/*` or `*`; a level is pull, push, delete, admin
or none (an explicit deny that beats broader grants)."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import add_registry_option, print_json, print_table
from berth.commands.principals import principal

LEVELS = ("none", "pull", "push", "delete", "admin")


def grant_spec(value: str) -> dict[str, str]:
    """`PATTERN=LEVEL` (`team/*=push`) for --grant."""
    pattern, equals, level = value.rpartition("=")
    if not equals or not pattern or level not in LEVELS:
        raise argparse.ArgumentTypeError(f"{value!r} is not PATTERN=LEVEL ({', '.join(LEVELS)})")
    return {"pattern": pattern, "level": level}


def add_grant_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--grant",
        action="append",
        type=grant_spec,
        default=[],
        required=required,
        metavar="PATTERN=LEVEL",
        help="access to give (repeat it): e.g. team/app=pull, 'team/*=push'",
    )


def duration(value: str) -> int:
    """`90m`, `12h`, `30d` or plain seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (value[:-1], value[-1]) if value and value[-1] in units else (value, "s")
    if not number.isdigit() or int(number) <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration such as 30d, 12h, 90m")
    return int(number) * units[unit]


def register(commands: Any) -> None:
    grant = commands.add_parser("grant", help="give, remove and list access", description=__doc__)
    actions = grant.add_subparsers(dest="grant_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="give PRINCIPAL a LEVEL on PATTERN (replaces it)")
    add.add_argument("principal", type=principal, metavar="PRINCIPAL")
    add.add_argument("pattern", metavar="PATTERN")
    add.add_argument("level", choices=LEVELS, metavar="LEVEL")
    add.add_argument("--expires", type=duration, help="the grant ends after this (e.g. 7d)")
    add_registry_option(add)
    add.set_defaults(func=_add)
    for parent, name in ((actions, "rm"), (commands, "ungrant")):
        rm = parent.add_parser(name, help="remove PRINCIPAL's grant on PATTERN")
        rm.add_argument("principal", type=principal, metavar="PRINCIPAL")
        rm.add_argument("pattern", metavar="PATTERN")
        add_registry_option(rm)
        rm.set_defaults(func=_rm)
    ls = actions.add_parser("ls", help="every grant of every principal")
    add_registry_option(ls)
    ls.set_defaults(func=_ls)


def _add(args: argparse.Namespace) -> int:
    kind, name = args.principal
    body: dict[str, Any] = {"kind": kind, "name": name, "pattern": args.pattern}
    body["level"] = args.level
    if args.expires:
        body["expiresIn"] = args.expires
    try:
        answer = common.client_for(args).admin("POST", "grants", body)
    except RegistryError as error:
        return common.failed("grant", error)
    if args.json:
        print_json(answer)
    else:
        print(f"{kind}:{name} {args.level} on {args.pattern}")
    return 0


def _rm(args: argparse.Namespace) -> int:
    kind, name = args.principal
    query = common.query({"kind": kind, "name": name, "pattern": args.pattern})
    try:
        answer = common.client_for(args).admin("DELETE", f"grants?{query}")
    except RegistryError as error:
        return common.failed("ungrant", error)
    if args.json:
        print_json(answer)
    else:
        print(f"{kind}:{name}: no grant on {args.pattern} any more")
    return 0


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).admin("GET", "grants")
    except RegistryError as error:
        return common.failed("grant ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [f"{g['kind']}:{g['name']}", g["pattern"], g["level"], moments.shown(g.get("expiresAt"))]
        for g in answer["grants"]
    ]
    print_table(["PRINCIPAL", "PATTERN", "LEVEL", "EXPIRES"], rows)
    return 0
