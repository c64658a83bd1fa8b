"""`berth user add|ls|rm|passwd|disable|enable`: users who log in with a password.

`add` and `passwd` generate a password and print it once, unless --user-password-stdin
gives one (then log in with $BERTH_USERNAME/$BERTH_PASSWORD, stdin being taken)."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json, print_table
from berth.commands.grants import add_grant_option
from berth.commands.principals import user_name


def register(commands: Any) -> None:
    user = commands.add_parser("user", help="manage users", description=__doc__)
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a user (its password is shown once)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--description")
    _password_option(add)
    add_grant_option(add)
    add_registry_option(add)
    add.set_defaults(func=_add)
    ls = actions.add_parser("ls", help="users, their state and grants")
    add_registry_option(ls)
    ls.set_defaults(func=_ls)
    for verb, func, text in (
        ("rm", _rm, "delete a user and its grants"),
        ("passwd", _passwd, "set a new password (shown once when generated)"),
        ("disable", _disable, "stop a user from logging in"),
        ("enable", _enable, "let a disabled user log in again"),
    ):
        parser = actions.add_parser(verb, help=text)
        parser.add_argument("name", type=user_name, metavar="NAME", help="alice or user:alice")
        if verb == "passwd":
            _password_option(parser)
        add_registry_option(parser)
        parser.set_defaults(func=func)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user-password-stdin",
        action="store_true",
        help="read the user's new password from stdin instead of generating one",
    )


def _new_password(args: argparse.Namespace) -> tuple[str, bool]:
    if args.user_password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return secrets.token_urlsafe(24), True


def _add(args: argparse.Namespace) -> int:
    password, generated = _new_password(args)
    body: dict[str, Any] = {"name": args.name, "password": password, "grants": args.grant}
    if args.description:
        body["description"] = args.description
    try:
        answer = common.client_for(args).admin("POST", "users", body)
    except RegistryError as error:
        return common.failed("user add", error)
    if args.json:
        print_json({**answer, **({"password": password} if generated else {})})
    else:
        print(f"user {args.name} created")
        if generated:
            print(f"password: {password} (shown once)")
    return 0


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).admin("GET", "users")
    except RegistryError as error:
        return common.failed("user ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            u["name"],
            "disabled" if u["disabled"] else "active",
            ", ".join(f"{g['pattern']}={g['level']}" for g in u["grants"]) or "-",
        ]
        for u in answer["users"]
    ]
    print_table(["NAME", "STATE", "GRANTS"], rows)
    return 0


def _rm(args: argparse.Namespace) -> int:
    try:
        common.client_for(args).admin("DELETE", f"users/{args.name}")
    except RegistryError as error:
        return common.failed("user rm", error)
    print(f"user {args.name} deleted")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    password, generated = _new_password(args)
    try:
        common.client_for(args).admin("PUT", f"users/{args.name}/password", {"password": password})
    except RegistryError as error:
        return common.failed("user passwd", error)
    print(f"password of {args.name} changed")
    if generated:
        print(f"password: {password} (shown once)")
    return 0


def _set(args: argparse.Namespace, disabled: bool) -> int:
    verb = "disable" if disabled else "enable"
    try:
        common.client_for(args).admin("PUT", f"users/{args.name}/disabled", {"disabled": disabled})
    except RegistryError as error:
        return common.failed(f"user {verb}", error)
    print(f"user {args.name} {verb}d")
    return 0


def _disable(args: argparse.Namespace) -> int:
    return _set(args, True)


def _enable(args: argparse.Namespace) -> int:
    return _set(args, False)
