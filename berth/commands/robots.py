"""`berth robot add|ls|rotate|revoke|rm`: robot accounts for CI and deployments, scoped to
repositories or namespace patterns, optionally expiring. Their secret is printed once, at
creation or rotation; the registry keeps only its SHA-256. Log in as `robot$NAME` with it.
`rotate` gives a new secret and ends the old one (and its tokens) at once: store the new one
where the CI reads it, then nothing else changes (grants, expiry, the login name)."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import add_registry_option, print_json, print_table
from berth.commands.grants import add_grant_option, duration
from berth.commands.principals import robot_name


def register(commands: Any) -> None:
    robot = commands.add_parser("robot", help="manage robot accounts", description=__doc__)
    actions = robot.add_subparsers(dest="robot_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a robot; prints its secret once")
    add.add_argument("name", metavar="NAME")
    add_grant_option(add, required=True)
    add.add_argument("--expires", type=duration, help="it stops working after this (e.g. 30d)")
    add.add_argument("--description")
    add_registry_option(add)
    add.set_defaults(func=_add)
    ls = actions.add_parser("ls", help="robots, their state, expiry and grants")
    add_registry_option(ls)
    ls.set_defaults(func=_ls)
    for verb, func, text in (
        ("rotate", _rotate, "a new secret, printed once; the old one stops working"),
        ("revoke", _revoke, "revoke a robot for good (it stays listed)"),
        ("rm", _rm, "delete a robot and its grants"),
    ):
        parser = actions.add_parser(verb, help=text)
        parser.add_argument(
            "name", type=robot_name, metavar="NAME", help="ci, robot$ci or robot:ci"
        )
        add_registry_option(parser)
        parser.set_defaults(func=func)


def _add(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"name": args.name, "grants": args.grant}
    if args.expires:
        body["expiresIn"] = args.expires
    if args.description:
        body["description"] = args.description
    try:
        answer = common.client_for(args).admin("POST", "robots", body)
    except RegistryError as error:
        return common.failed("robot add", error)
    if args.json:
        print_json(answer)
    else:
        print(f"login:  {answer['login']}")
        print(f"secret: {answer['secret']} (shown once)")
        if answer.get("validUntil"):
            print(f"valid until {moments.shown(answer['validUntil'])}")
    return 0


def _state(robot: dict[str, Any]) -> str:
    if robot["revoked"]:
        return "revoked"
    if robot["disabled"]:
        return "disabled"
    return "active" if robot["active"] else "expired"


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).admin("GET", "robots")
    except RegistryError as error:
        return common.failed("robot ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            r["login"],
            _state(r),
            moments.shown(r.get("validUntil")),
            ", ".join(f"{g['pattern']}={g['level']}" for g in r["grants"]) or "-",
        ]
        for r in answer["robots"]
    ]
    print_table(["LOGIN", "STATE", "VALID UNTIL", "GRANTS"], rows)
    return 0


def _rotate(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).admin("POST", f"robots/{args.name}/secret")
    except RegistryError as error:
        return common.failed("robot rotate", error)
    if args.json:
        print_json(answer)
    else:
        print(f"login:  {answer['login']}")
        print(f"secret: {answer['secret']} (shown once; the old secret no longer works)")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    try:
        common.client_for(args).admin("POST", f"robots/{args.name}/revoke")
    except RegistryError as error:
        return common.failed("robot revoke", error)
    print(f"robot {args.name} revoked")
    return 0


def _rm(args: argparse.Namespace) -> int:
    try:
        common.client_for(args).admin("DELETE", f"robots/{args.name}")
    except RegistryError as error:
        return common.failed("robot rm", error)
    print(f"robot {args.name} deleted")
    return 0
